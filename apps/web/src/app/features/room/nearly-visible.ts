import { InjectionToken } from '@angular/core';

/** The scrolling element messages are shown in (the message list provides itself). */
export interface PreviewViewport {
  previewRoot(): Element;
}

export const PREVIEW_VIEWPORT = new InjectionToken<PreviewViewport>('PREVIEW_VIEWPORT');

/** How far beyond the visible part of the viewport (a share of its height) a preview starts loading: scrolling rarely waits for one. */
const NEARLY_VISIBLE_MARGIN = '50% 0px';

/**
 * Calls `onVisible` once, when `target` comes within NEARLY_VISIBLE_MARGIN of what `root` (the page
 * when null) shows. Where IntersectionObserver is missing (jsdom, very old browsers) that is at once.
 * Returns a function that stops watching.
 */
export function whenNearlyVisible(target: Element, root: Element | null, onVisible: () => void): () => void {
  if (typeof IntersectionObserver === 'undefined') {
    onVisible();
    return () => undefined;
  }
  const observer = new IntersectionObserver(
    (entries) => {
      if (!entries.some((entry) => entry.isIntersecting)) return;
      observer.disconnect();
      onVisible();
    },
    { root, rootMargin: NEARLY_VISIBLE_MARGIN },
  );
  observer.observe(target);
  return () => observer.disconnect();
}

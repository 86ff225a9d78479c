import { DOCUMENT, Injectable, inject } from '@angular/core';
import { NavigationEnd, Router } from '@angular/router';

/** How long a screen may take to show its heading (a room's comes with the room's data). */
export const HEADING_WAIT_MS = 5_000;

/**
 * Keyboard and screen-reader users land on the new screen after a client-side navigation: focus
 * moves to the screen's heading (its `h1`, given tabindex=-1), as a page load would announce it.
 * The first navigation is the page load itself: focus stays at the top, where the skip link is.
 * Focus that something else moved meanwhile (a dialog, an admin detail heading) is left alone.
 */
@Injectable({ providedIn: 'root' })
export class RouteFocusService {
  private readonly router = inject(Router);
  private readonly document = inject(DOCUMENT);
  private stopWaiting?: () => void;
  private started = false;

  start(): void {
    if (this.started) return;
    this.started = true;
    let navigations = 0;
    this.router.events.subscribe((event) => {
      if (event instanceof NavigationEnd && navigations++ > 0) this.focusHeadingWhenShown();
    });
  }

  /** The skip link's target: the main region's heading, or the main region itself. */
  focusContent(): boolean {
    const target = this.heading() ?? this.document.querySelector<HTMLElement>('main');
    if (!target) return false;
    focusable(target).focus();
    return true;
  }

  private focusHeadingWhenShown(): void {
    this.stopWaiting?.();
    const doc = this.document;
    const from = doc.activeElement;
    // Ours to move: nothing focused, the control that navigated, or one the old screen took away.
    const ours = () => {
      const active = doc.activeElement;
      return active === null || active === doc.body || active === from || !active.isConnected;
    };
    const attempt = (): boolean => {
      const heading = this.heading();
      if (!heading) return false;
      if (ours()) focusable(heading).focus();
      return true;
    };
    const observer = new MutationObserver(() => {
      if (attempt()) stop();
    });
    const timer = setTimeout(() => stop(), HEADING_WAIT_MS);
    const stop = () => {
      observer.disconnect();
      clearTimeout(timer);
      if (this.stopWaiting === stop) this.stopWaiting = undefined;
    };
    this.stopWaiting = stop;
    // The new screen renders after NavigationEnd: look once it had the chance, then on each change.
    setTimeout(() => {
      if (this.stopWaiting !== stop) return;
      if (attempt()) stop();
      else observer.observe(doc.body, { childList: true, subtree: true });
    });
  }

  private heading(): HTMLElement | null {
    return this.document.querySelector<HTMLElement>('main h1') ?? this.document.querySelector<HTMLElement>('h1');
  }
}

function focusable(element: HTMLElement): HTMLElement {
  if (!element.hasAttribute('tabindex')) element.setAttribute('tabindex', '-1');
  return element;
}

import { DestroyRef, DOCUMENT, inject, Injectable, signal } from '@angular/core';

/** Whether this tab is hidden (another tab in front, window minimised, screen locked): the Page Visibility API as a signal. */
@Injectable({ providedIn: 'root' })
export class PageVisibility {
  private readonly document = inject(DOCUMENT);
  readonly hidden = signal(this.document.visibilityState === 'hidden');

  constructor() {
    const changed = () => this.hidden.set(this.document.visibilityState === 'hidden');
    this.document.addEventListener('visibilitychange', changed);
    inject(DestroyRef).onDestroy(() => this.document.removeEventListener('visibilitychange', changed));
  }
}

import { Injectable, signal } from '@angular/core';

export type DesktopPermission = NotificationPermission | 'unsupported';

export interface DesktopNotice {
  title: string;
  body: string;
  /** A notice with the tag of one still shown replaces it (one per room instead of a pile). */
  tag?: string;
  /** Stays on screen until the user acts on it. */
  sticky?: boolean;
}

/** The browser's Notification API: its permission as a signal, and notices that run `onClick` when clicked. */
@Injectable({ providedIn: 'root' })
export class DesktopNotifier {
  readonly supported = typeof Notification !== 'undefined';
  readonly permission = signal<DesktopPermission>(this.current());

  /** Asks the browser (a prompt the first time; the same answer afterwards). Call it from a click. */
  async request(): Promise<DesktopPermission> {
    if (!this.supported) return 'unsupported';
    const answer = await Notification.requestPermission().catch(() => Notification.permission);
    this.permission.set(answer);
    return answer;
  }

  /** The permission may change in the browser's site settings meanwhile. */
  refresh(): DesktopPermission {
    const permission = this.current();
    this.permission.set(permission);
    return permission;
  }

  /**
   * Shows a notice, or returns null where the page cannot (no permission; phone browsers that only
   * show notifications through a service worker throw on `new Notification`).
   */
  show(notice: DesktopNotice, onClick: () => void): Notification | null {
    if (this.refresh() !== 'granted') return null;
    try {
      const shown = new Notification(notice.title, { body: notice.body, tag: notice.tag, requireInteraction: !!notice.sticky, icon: '/favicon.svg' });
      shown.onclick = (event) => {
        event.preventDefault();
        window.focus();
        shown.close();
        onClick();
      };
      return shown;
    } catch (err) {
      console.warn('This browser shows no notification from a page:', (err as Error).message);
      return null;
    }
  }

  private current(): DesktopPermission {
    return this.supported ? Notification.permission : 'unsupported';
  }
}

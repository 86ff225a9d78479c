import { computed, DestroyRef, inject, Injectable, signal } from '@angular/core';
import { SessionService } from '../session.service';
import { DesktopNotifier } from './desktop-notifier';

/** What a desktop notification shows: the sender and the decrypted text, or only "New message in ROOM". */
export type NotificationPreview = 'text' | 'private';
/** Which messages notify: every one (of a room not on screen), or only those that @mention me. */
export type NotificationLevel = 'all' | 'mentions';

export interface NotificationSettings {
  /** Desktop notifications are on (opt-in; they also need the browser's permission). */
  desktop: boolean;
  preview: NotificationPreview;
  level: NotificationLevel;
}

export const DEFAULT_NOTIFICATION_SETTINGS: NotificationSettings = { desktop: false, preview: 'text', level: 'all' };

const KEY_PREFIX = 'conclave.notifications.';

/** Reads stored settings, keeping only known values (the store is this origin's, but it may hold an older shape). */
export function parseSettings(raw: string | null): NotificationSettings {
  let stored: Partial<Record<keyof NotificationSettings, unknown>> = {};
  try {
    const parsed: unknown = raw ? JSON.parse(raw) : {};
    if (parsed && typeof parsed === 'object') stored = parsed;
  } catch {
    // Unreadable: the defaults.
  }
  return {
    desktop: stored.desktop === true,
    preview: stored.preview === 'private' ? 'private' : 'text',
    level: stored.level === 'mentions' ? 'mentions' : 'all',
  };
}

/**
 * Notification settings of this device, per account (localStorage: never sent to the server, kept
 * after sign-out, so signing in again finds them). A change in another tab applies here too.
 */
@Injectable({ providedIn: 'root' })
export class NotificationSettingsService {
  private readonly session = inject(SessionService);
  private readonly notifier = inject(DesktopNotifier);
  private readonly changes = signal(0);

  readonly settings = computed<NotificationSettings>(() => {
    this.changes();
    const userId = this.session.user()?.id;
    return userId ? parseSettings(this.storage()?.getItem(KEY_PREFIX + userId) ?? null) : DEFAULT_NOTIFICATION_SETTINGS;
  });
  readonly permission = this.notifier.permission;
  /** Notifications will show: switched on here and allowed by the browser. */
  readonly active = computed(() => this.settings().desktop && this.permission() === 'granted');

  constructor() {
    const changed = (event: StorageEvent) => event.key?.startsWith(KEY_PREFIX) && this.changes.update((n) => n + 1);
    globalThis.addEventListener?.('storage', changed);
    inject(DestroyRef).onDestroy(() => globalThis.removeEventListener?.('storage', changed));
  }

  /** Opt-in: asks the browser's permission (from the click), and switches on only once it is granted. */
  async enable(): Promise<boolean> {
    const permission = await this.notifier.request();
    if (permission !== 'granted') return false;
    this.update({ desktop: true });
    return true;
  }

  disable(): void {
    this.update({ desktop: false });
  }

  update(change: Partial<NotificationSettings>): void {
    const userId = this.session.user()?.id;
    if (!userId) return;
    try {
      this.storage()?.setItem(KEY_PREFIX + userId, JSON.stringify({ ...this.settings(), ...change }));
    } catch (err) {
      console.warn('Notification settings were not stored:', (err as Error).message);
    }
    this.changes.update((n) => n + 1);
  }

  private storage(): Storage | null {
    try {
      return globalThis.localStorage ?? null;
    } catch {
      return null; // storage disabled for this site
    }
  }
}

import { DestroyRef, effect, inject, Injectable, signal, untracked } from '@angular/core';
import { Router } from '@angular/router';
import type { MessageContent, RoomSummary, StoredMessage } from '@conclave/contracts';
import { CryptoService } from '../crypto.service';
import { SessionService } from '../session.service';
import { ChatService } from '../chat/chat.service';
import { DirectoryService } from '../chat/directory.service';
import { mentions } from '../chat/mentions';
import { RoomKeysService } from '../chat/room-keys.service';
import { type DesktopNotice, DesktopNotifier } from './desktop-notifier';
import { type NotificationSettings, NotificationSettingsService } from './notification-settings.service';
import { PageVisibility } from './page-visibility';
import { TabTitleStrategy } from './tab-title.strategy';

/** Longest text a notification shows, in code points (the rest is cut with "…"). */
export const NOTICE_TEXT_CHARS = 200;

/** A received message as this browser could read it: null when it could not (no key yet, bad signature). */
export interface ReadMessage {
  sender: string;
  content: MessageContent;
}

/**
 * What a notification says. The private preview says only "New message in ROOM" (no sender, no
 * text, not even whether it mentions you); so does a message this browser could not decrypt and verify.
 */
export function noticeFor(room: Pick<RoomSummary, 'code' | 'name'>, read: ReadMessage | null, mentioned: boolean, preview: NotificationSettings['preview']): DesktopNotice {
  const tag = `conclave-room-${room.code}`;
  if (preview === 'private' || !read) return { title: `New message in ${room.name}`, body: '', tag };
  const text = read.content.type === 'text' ? read.content.body : read.content.type === 'file' ? `📎 ${read.content.name}` : '';
  const points = [...text];
  const body = points.length > NOTICE_TEXT_CHARS ? `${points.slice(0, NOTICE_TEXT_CHARS).join('')}…` : text;
  // A mention stays on screen until acted on, and is never replaced by the room's next message.
  if (mentioned) return { title: `${read.sender} mentioned you in ${room.name}`, body, sticky: true };
  return { title: `${read.sender} in ${room.name}`, body, tag };
}

/**
 * Notifications of new messages: the unread count and the room in the tab title, and opt-in
 * desktop notifications (NotificationSettingsService), decrypted and verified in this browser.
 *
 * A desktop notification shows for a message of someone else, in a room that is not on screen (another
 * room, or this tab hidden), when notifications are on and allowed; with the level "only
 * @mentions", only for messages that mention this user. A mention always notifies while notifications
 * are on, and its notification stays until acted on. Clicking one opens its room. Messages fetched
 * again after a reconnection (resync) do not notify: only live ones do.
 */
@Injectable({ providedIn: 'root' })
export class NotificationService {
  private readonly chat = inject(ChatService);
  private readonly session = inject(SessionService);
  private readonly keys = inject(RoomKeysService);
  private readonly crypto = inject(CryptoService);
  private readonly directory = inject(DirectoryService);
  private readonly settings = inject(NotificationSettingsService);
  private readonly notifier = inject(DesktopNotifier);
  private readonly visibility = inject(PageVisibility);
  private readonly router = inject(Router);
  private readonly titles = inject(TabTitleStrategy);

  /** Messages of the room on screen that came while this tab was hidden (the server counts them as read). */
  readonly unseen = signal(0);
  /** Notifications still shown, by room id: closed when their room comes on screen. */
  private readonly shown = new Map<string, Set<Notification>>();

  constructor() {
    const off = this.chat.onMessage((message) => void this.received(message).catch((err: unknown) => console.warn('A notification failed:', err)));
    effect(() => {
      const unread = this.chat.rooms().reduce((sum, room) => sum + room.unread, 0) + this.unseen();
      this.titles.live.set(this.session.user() ? { unread, room: this.chat.activeRoom()?.name ?? null } : null);
    });
    effect(() => {
      const room = this.chat.activeRoom();
      if (this.visibility.hidden()) return;
      untracked(() => {
        this.unseen.set(0);
        if (room) this.closeShown(room.id);
      });
    });
    inject(DestroyRef).onDestroy(() => {
      off();
      this.titles.live.set(null);
    });
  }

  private async received(message: StoredMessage): Promise<void> {
    const me = this.session.user();
    // An edit (routed with editOf, docs/protocol.md §9b) is no new message: not counted, not notified.
    if (!me || message.senderId === me.id || message.editOf !== undefined) return;
    const room = this.chat.rooms().find((r) => r.id === message.roomId);
    if (!room) return;
    const onScreen = this.chat.activeRoom()?.id === room.id;
    if (onScreen && this.visibility.hidden()) this.unseen.update((n) => n + 1);
    if (onScreen && !this.visibility.hidden()) return;
    const settings = this.settings.settings();
    if (!this.settings.active()) return;
    // Read in this browser only when something depends on it: a preview with text, or the level "only @mentions".
    const read = settings.preview === 'text' || settings.level === 'mentions' ? await this.read(message) : null;
    if (read && read.content.type !== 'text' && read.content.type !== 'file') return; // not a message of its own (an edit, say)
    const mentioned = read?.content.type === 'text' && mentions(read.content.body, me.username);
    if (settings.level === 'mentions' && !mentioned) return;
    const notice = noticeFor(room, read, mentioned, settings.preview);
    const shown = this.notifier.show(notice, () => void this.router.navigate(['/rooms', room.code]));
    if (shown) this.remember(room.id, shown);
  }

  /** Decrypts and verifies as the conversation does; null when this browser cannot (yet). */
  private async read(message: StoredMessage): Promise<ReadMessage | null> {
    const key = this.keys.key(message.roomId, message.epoch);
    if (!key) return null;
    try {
      const sender = await this.directory.lookup(message.senderId);
      return { sender: sender.username, content: await this.crypto.decryptMessage(message, key, sender.publicKeys) };
    } catch {
      return null; // forged, damaged, or the sender's keys unknown: said as "New message in ROOM" only
    }
  }

  private remember(roomId: string, notification: Notification): void {
    const set = this.shown.get(roomId) ?? new Set<Notification>();
    set.add(notification);
    this.shown.set(roomId, set);
    notification.addEventListener?.('close', () => set.delete(notification));
  }

  private closeShown(roomId: string): void {
    for (const notification of this.shown.get(roomId) ?? []) notification.close();
    this.shown.delete(roomId);
  }
}

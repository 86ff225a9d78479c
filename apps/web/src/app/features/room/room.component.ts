import { ChangeDetectionStrategy, Component, computed, DestroyRef, effect, inject, input, signal, untracked, viewChild } from '@angular/core';
import { Router } from '@angular/router';
import type { RoomDetail, RoomFileUsage, RoomMember } from '@conclave/contracts';
import { ApiClient } from '../../core/api-client.service';
import { ChatService } from '../../core/chat/chat.service';
import { ContactsService } from '../../core/chat/contacts.service';
import { type ChatLine, ConversationService } from '../../core/chat/conversation.service';
import { secondsLeft } from '../../core/chat/countdown';
import { markMentions } from '../../core/chat/mentions';
import { DirectoryService } from '../../core/chat/directory.service';
import { JoinService } from '../../core/chat/join.service';
import { MembershipService } from '../../core/chat/membership.service';
import { RoomKeysService } from '../../core/chat/room-keys.service';
import { formatBytes } from '../../core/files/file-size';
import { FileRefusedError, FileTransferService } from '../../core/files/file-transfer.service';
import { SessionService } from '../../core/session.service';
import { CopyButtonComponent } from '../../shared/copy/copy-button.component';
import { InviteLinkComponent } from '../../shared/invite-link/invite-link.component';
import { ComposerComponent } from './composer.component';
import { JoinRequestComponent } from './join-request.component';
import { type EditRequest, MessageListComponent } from './message-list.component';
import { RoomSettingsDialogComponent } from './room-settings-dialog.component';
import { type SafetyContact, SafetyNumberDialogComponent } from './safety-number-dialog.component';

/**
 * One room: the conversation, who is here and typing, members and their safety numbers, people asking
 * to join, invite links; or, for a room the user asked to join, the wait for a member to let them in.
 */
@Component({
  selector: 'cv-room',
  imports: [MessageListComponent, ComposerComponent, SafetyNumberDialogComponent, JoinRequestComponent, InviteLinkComponent, CopyButtonComponent, RoomSettingsDialogComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './room.component.html',
  styleUrl: './room.component.css',
})
export class RoomComponent {
  /** The room code, from the route (/rooms/:code). */
  readonly code = input.required<string>();
  protected readonly chat = inject(ChatService);
  protected readonly conversation = inject(ConversationService);
  protected readonly contacts = inject(ContactsService);
  private readonly keys = inject(RoomKeysService);
  private readonly api = inject(ApiClient);
  private readonly directory = inject(DirectoryService);
  private readonly membership = inject(MembershipService);
  private readonly joins = inject(JoinService);
  private readonly session = inject(SessionService);
  private readonly router = inject(Router);
  protected readonly files = inject(FileTransferService);
  private readonly safetyDialog = viewChild(SafetyNumberDialogComponent);
  protected readonly settingsDialog = viewChild(RoomSettingsDialogComponent);

  protected readonly room = computed(() => this.chat.rooms().find((r) => r.code === this.code().toUpperCase()) ?? null);
  protected readonly detail = signal<RoomDetail | null>(null);
  /** Members whose admission this browser verified back to the genesis: nobody while the room has no genesis (or not loaded yet). */
  protected readonly admitted = signal<ReadonlySet<string>>(new Set());
  /** This user asked to join and waits for a member's browser. */
  protected readonly pendingRoom = computed(() => this.joins.pending().find((r) => r.code === this.code().toUpperCase()) ?? null);
  protected readonly declined = computed(() => this.joins.declined().includes(this.code().toUpperCase()));
  protected readonly requests = computed(() => this.membership.requests()[this.code().toUpperCase()] ?? []);
  protected readonly isOwner = computed(() => this.room()?.role === 'owner');
  private readonly isMember = computed(() => this.room() !== null);
  protected readonly invitesOpen = signal(false);
  protected readonly confirmRemove = signal<RoomMember | null>(null);
  protected readonly cancelling = signal(false);
  /** Admitted members this browser gave no room key because their identity key changed (docs/protocol.md §8.2). */
  protected readonly heldBack = computed(() => {
    const ids = this.membership.heldBack()[this.room()?.id ?? ''] ?? [];
    return (this.detail()?.members ?? []).filter((m) => ids.includes(m.id));
  });
  protected readonly detailError = signal<string | null>(null);
  /** The server serves another genesis for this room than the one this user pinned, or none (docs/protocol.md §7). */
  protected readonly tampered = computed(() => this.membership.tampered().has(this.room()?.id ?? ''));
  protected readonly membersOpen = signal(false);
  protected readonly safetyContact = signal<SafetyContact | null>(null);
  protected readonly rateSeconds = secondsLeft(this.chat.rateLimit);
  /** This user's messages of this room not stored yet: held by the rate limit, or next in the outbox. */
  private readonly unsent = computed(() => this.conversation.lines().filter((l) => l.mine && (l.state === 'rate-limited' || l.state === 'sending')).length);
  /** A rate-limit notice came and messages it held are still going out: the banner stays up until the last one is sent. */
  private readonly draining = signal(false);
  /**
   * The rate-limit banner: the countdown in the server's words, with the one number this browser
   * counts (the server's text has the number of the moment it was sent), then what is still held.
   * Up from the first refusal to the last held message sent, so a burst does not make it flicker.
   */
  protected readonly rateBanner = computed(() => {
    const seconds = this.rateSeconds();
    if (seconds > 0) return `Rate limit exceeded! Please wait ${seconds} second${seconds === 1 ? '' : 's'} before sending more messages.`;
    return this.draining() && this.unsent() > 0 ? 'Rate limit exceeded! Sending the held messages…' : null;
  });
  protected readonly me = this.session.user;
  protected readonly waitingForKey = computed(() => {
    const room = this.room();
    return !!room && this.keys.waiting().has(room.id);
  });
  /** Epochs of this room whose every key box was refused (wrong key or signature): other members were asked. */
  protected readonly refusedEpochs = computed(() => {
    const room = this.room();
    return (room && this.keys.refusedEpochs().get(room.id)) || [];
  });
  /** The conversation, lines that @mention this user flagged (highlighted by the message list). */
  protected readonly lines = computed(() => markMentions(this.conversation.lines(), this.me()?.username, this.detail()?.members.map((m) => m.username)), {
    // The member list reloads with the roster: the same lines then are no change for the message list.
    equal: (a, b) => a.length === b.length && a.every((line, i) => line === b[i]),
  });
  protected readonly present = computed(() => new Set((this.chat.rosters()[this.code().toUpperCase()] ?? []).map((e) => e.userId)));
  protected readonly typingNames = computed(() => (this.chat.typing()[this.code().toUpperCase()] ?? []).filter((e) => e.userId !== this.me()?.id).map((e) => e.username));
  /** Members of this room whose identity key changed since verified or first seen. */
  protected readonly changedMembers = computed(() => {
    const ids = new Set(this.detail()?.members.map((m) => m.id) ?? []);
    return this.contacts.changed().filter((c) => ids.has(c.userId));
  });
  /** A message (or files to share) held back until the user acknowledges a changed key, with the room it was written in. */
  private readonly held = signal<{ code: string; body: string } | { code: string; files: File[] } | null>(null);
  /** The held message of this room only: after a switch it is never offered for sending in another. */
  protected readonly heldMessage = computed(() => {
    const held = this.held();
    return held?.code === this.code().toUpperCase() ? held : null;
  });
  protected readonly heldFiles = computed(() => {
    const held = this.heldMessage();
    return !!held && 'files' in held;
  });
  /** This room's uploads in progress (or failed, until dismissed). */
  protected readonly uploads = computed(() => this.files.uploads().filter((u) => u.roomId === this.room()?.id));
  /** Files are being dragged over the conversation. */
  protected readonly dropping = signal(false);
  protected readonly fileUsage = signal<RoomFileUsage | null>(null);
  protected readonly formatBytes = formatBytes;
  /** Stored file messages on screen: when it changes, the room's total is fetched again. */
  private readonly storedFiles = computed(() => this.conversation.lines().filter((l) => l.file && l.seq !== undefined).length);
  protected readonly leaving = signal(false);
  protected readonly confirmLeave = signal(false);
  protected readonly sendError = signal<string | null>(null);
  /** A member who joined a `joined`-history room sees nothing from before: say why at the start. */
  protected readonly historyNote = computed(() => {
    const room = this.room();
    return room?.history === 'joined' && room.role !== 'owner'
      ? 'This room shows members only what is said after they join: messages from before you joined are hidden by the room’s setting.'
      : null;
  });
  /** The room told "typing" last, until told it stopped. */
  private typingIn: string | null = null;

  constructor() {
    effect(() => {
      const code = this.code().toUpperCase();
      const room = this.room();
      untracked(() => {
        if (this.typingIn !== code) this.stopTypingNotice();
        this.chat.activeCode.set(code);
        if (room) void this.conversation.open(room.id);
      });
    });
    effect(() => {
      const code = this.code().toUpperCase();
      // Members change as people join and leave: reload with the roster and admissions (a room still asked for has no detail yet).
      this.chat.rosters()[code];
      this.membership.resolutions();
      if (this.isMember()) untracked(() => void this.loadDetail(code));
    });
    effect(() => {
      const code = this.code().toUpperCase();
      this.storedFiles();
      if (this.isMember()) untracked(() => void this.loadFileUsage(code));
    });
    effect(() => {
      if (this.chat.rateLimit()) untracked(() => this.draining.set(true));
    });
    effect(() => {
      if (this.unsent() === 0) untracked(() => this.draining.set(false));
    });
    inject(DestroyRef).onDestroy(() => {
      this.stopTypingNotice();
      this.chat.activeCode.set(null);
      this.conversation.close();
    });
  }

  protected send(body: string): void {
    if (this.changedMembers().length) {
      this.held.set({ code: this.code().toUpperCase(), body });
      return;
    }
    this.sendNow(body);
  }

  protected edit({ line, body }: EditRequest): void {
    try {
      this.sendError.set(null);
      this.conversation.edit(line, body);
    } catch (err) {
      this.sendError.set(`Not edited: ${(err as Error).message}`);
    }
  }

  protected async deleteMessage(line: ChatLine): Promise<void> {
    this.sendError.set(null);
    await this.conversation.remove(line).catch((err: unknown) => this.sendError.set(`Not deleted: ${(err as Error).message}`));
  }

  protected async sendAnyway(): Promise<void> {
    const held = this.held();
    if (!held || this.heldMessage() === null) return;
    this.held.set(null);
    await this.contacts.acceptChangedKeys(this.changedMembers().map((c) => c.userId));
    // Switched rooms meanwhile: the message stays held for its own room.
    if (this.code().toUpperCase() !== held.code) return this.held.set(held);
    if ('files' in held) this.shareNow(held.files);
    else this.sendNow(held.body);
  }

  /** Files picked, pasted or dropped: held like a message while a member's key changed, then checked, encrypted and uploaded. */
  protected share(files: File[]): void {
    if (!files.length) return;
    if (this.changedMembers().length) {
      this.held.set({ code: this.code().toUpperCase(), files });
      return;
    }
    this.shareNow(files);
  }

  protected onDragOver(event: DragEvent): void {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    this.dropping.set(true);
  }

  protected onDrop(event: DragEvent): void {
    this.dropping.set(false);
    const files = [...(event.dataTransfer?.files ?? [])];
    if (!files.length) return;
    event.preventDefault();
    this.share(files);
  }

  protected dropHeldMessage(): void {
    this.held.set(null);
  }

  protected typing(typing: boolean): void {
    const code = this.code().toUpperCase();
    if (!typing) return this.stopTypingNotice(code);
    if (this.typingIn !== code) this.stopTypingNotice();
    this.chat.setTyping(code, true);
    this.typingIn = code;
  }

  /** Tells the room that last heard "typing" (or `code`) that it stopped: on a pause, a send, a switch of room, or leaving. */
  private stopTypingNotice(code = this.typingIn): void {
    if (code) this.chat.setTyping(code, false);
    this.typingIn = null;
  }

  protected showSafetyNumber(contact: SafetyContact): void {
    this.safetyContact.set(contact);
    setTimeout(() => this.safetyDialog()?.show());
  }

  protected async leave(): Promise<void> {
    const room = this.room();
    if (!room) return;
    this.confirmLeave.set(false);
    this.leaving.set(true);
    try {
      await this.chat.leaveRoom(room.code);
      await this.router.navigateByUrl('/home');
    } catch (err) {
      this.detailError.set((err as Error).message);
    } finally {
      this.leaving.set(false);
    }
  }

  /** After comparing safety numbers: the new keys become the known ones, and key requests are served again. */
  protected async trustNewKeys(): Promise<void> {
    await this.contacts.acceptChangedKeys(this.heldBack().map((m) => m.id));
    const room = this.room();
    if (room) this.membership.heldBack.update(({ [room.id]: _, ...rest }) => rest);
  }

  /** The joiner withdraws a request that is still waiting. */
  protected async cancelJoin(): Promise<void> {
    this.cancelling.set(true);
    try {
      await this.joins.cancel(this.code().toUpperCase());
      await this.router.navigateByUrl('/home');
    } catch (err) {
      this.detailError.set((err as Error).message);
    } finally {
      this.cancelling.set(false);
    }
  }

  protected dismissDeclined(): void {
    this.joins.dismissDeclined(this.code().toUpperCase());
    void this.router.navigateByUrl('/home');
  }

  /** The owner removes a member, after confirming in the page. */
  protected async remove(member: RoomMember): Promise<void> {
    this.confirmRemove.set(null);
    try {
      await this.api.removeMember(this.code().toUpperCase(), member.id);
      await this.loadDetail(this.code().toUpperCase());
    } catch (err) {
      this.detailError.set((err as Error).message);
    }
  }

  private shareNow(files: File[]): void {
    const room = this.room();
    if (!room) return;
    this.sendError.set(null);
    for (const file of files) {
      this.files.share({ id: room.id, code: room.code }, file).catch((err: unknown) => {
        // Refused in this browser before anything was uploaded: say why beside the composer.
        this.sendError.set(err instanceof FileRefusedError ? `Not shared: ${err.message}` : (err as Error).message);
      });
    }
  }

  private sendNow(body: string): void {
    try {
      this.sendError.set(null);
      this.conversation.send(body);
    } catch (err) {
      this.sendError.set((err as Error).message);
    }
  }

  private async loadFileUsage(code: string): Promise<void> {
    const usage = await this.api.roomFileUsage(code).catch(() => null);
    if (code === this.code().toUpperCase()) this.fileUsage.set(usage);
  }

  private async loadDetail(code: string): Promise<void> {
    try {
      const detail = await this.api.room(code);
      if (code !== this.code().toUpperCase()) return;
      for (const m of detail.members) this.directory.remember({ userId: m.id, username: m.username, publicKeys: m.publicKeys });
      await this.contacts.observe(detail.members.map((m) => ({ userId: m.id, username: m.username, publicKeys: m.publicKeys })));
      const roomId = this.room()?.id ?? detail.id;
      // No genesis (a room made before v2, or withheld): nobody is admitted, and every member is marked so.
      const admitted = new Set((await this.membership.admitted(detail, roomId)).keys());
      if (code !== this.code().toUpperCase()) return;
      this.detail.set(detail);
      this.admitted.set(admitted);
      this.detailError.set(null);
      // Requests that waited while nobody was online: decided now (a proof) or shown (approval).
      void this.membership.waiting(detail).catch((err: unknown) => console.error('Join requests failed:', err));
    } catch (err) {
      this.detailError.set((err as Error).message);
    }
  }
}

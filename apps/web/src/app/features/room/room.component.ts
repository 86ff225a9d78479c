import { ChangeDetectionStrategy, Component, computed, DestroyRef, effect, inject, input, signal, untracked, viewChild } from '@angular/core';
import { Router } from '@angular/router';
import type { RoomDetail } from '@conclave/contracts';
import { ApiClient } from '../../core/api-client.service';
import { ChatService } from '../../core/chat/chat.service';
import { ContactsService } from '../../core/chat/contacts.service';
import { ConversationService } from '../../core/chat/conversation.service';
import { secondsLeft } from '../../core/chat/countdown';
import { DirectoryService } from '../../core/chat/directory.service';
import { RoomKeysService } from '../../core/chat/room-keys.service';
import { SessionService } from '../../core/session.service';
import { ComposerComponent } from './composer.component';
import { MessageListComponent } from './message-list.component';
import { type SafetyContact, SafetyNumberDialogComponent } from './safety-number-dialog.component';

/** One room: the conversation, who is here and typing, members and their safety numbers. */
@Component({
  selector: 'cv-room',
  imports: [MessageListComponent, ComposerComponent, SafetyNumberDialogComponent],
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
  private readonly session = inject(SessionService);
  private readonly router = inject(Router);
  private readonly safetyDialog = viewChild(SafetyNumberDialogComponent);

  protected readonly room = computed(() => this.chat.rooms().find((r) => r.code === this.code().toUpperCase()) ?? null);
  protected readonly detail = signal<RoomDetail | null>(null);
  protected readonly detailError = signal<string | null>(null);
  protected readonly membersOpen = signal(false);
  protected readonly safetyContact = signal<SafetyContact | null>(null);
  protected readonly rateSeconds = secondsLeft(this.chat.rateLimit);
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
  protected readonly present = computed(() => new Set((this.chat.rosters()[this.code().toUpperCase()] ?? []).map((e) => e.userId)));
  protected readonly typingNames = computed(() => (this.chat.typing()[this.code().toUpperCase()] ?? []).filter((e) => e.userId !== this.me()?.id).map((e) => e.username));
  /** Members of this room whose identity key changed since verified or first seen. */
  protected readonly changedMembers = computed(() => {
    const ids = new Set(this.detail()?.members.map((m) => m.id) ?? []);
    return this.contacts.changed().filter((c) => ids.has(c.userId));
  });
  /** A message held back until the user acknowledges a changed key, with the room it was written in. */
  private readonly held = signal<{ code: string; body: string } | null>(null);
  /** The held message of this room only: after a switch it is never offered for sending in another. */
  protected readonly heldMessage = computed(() => {
    const held = this.held();
    return held?.code === this.code().toUpperCase() ? held.body : null;
  });
  protected readonly leaving = signal(false);
  protected readonly confirmLeave = signal(false);
  protected readonly sendError = signal<string | null>(null);
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
      // Members change as people join and leave: reload with the roster.
      this.chat.rosters()[code];
      untracked(() => void this.loadDetail(code));
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

  protected async sendAnyway(): Promise<void> {
    const held = this.held();
    if (!held || this.heldMessage() === null) return;
    this.held.set(null);
    await this.contacts.acceptChangedKeys(this.changedMembers().map((c) => c.userId));
    // Switched rooms meanwhile: the message stays held for its own room.
    if (this.code().toUpperCase() !== held.code) return this.held.set(held);
    this.sendNow(held.body);
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

  private sendNow(body: string): void {
    try {
      this.sendError.set(null);
      this.conversation.send(body);
    } catch (err) {
      this.sendError.set((err as Error).message);
    }
  }

  private async loadDetail(code: string): Promise<void> {
    try {
      const detail = await this.api.room(code);
      if (code !== this.code().toUpperCase()) return;
      for (const m of detail.members) this.directory.remember({ userId: m.id, username: m.username, publicKeys: m.publicKeys });
      await this.contacts.observe(detail.members.map((m) => ({ userId: m.id, username: m.username, publicKeys: m.publicKeys })));
      this.detail.set(detail);
      this.detailError.set(null);
    } catch (err) {
      this.detailError.set((err as Error).message);
    }
  }
}

import { ChangeDetectionStrategy, Component, type ElementRef, inject, signal, viewChild } from '@angular/core';
import { Router } from '@angular/router';
import { ROOM_MEMBERS_MAX, ROOM_NAME_MAX_CHARS, type RoomHistory, type RoomSummary } from '@conclave/contracts';
import { ChatService } from '../../core/chat/chat.service';
import { RoomAccessService } from '../../core/chat/room-access.service';
import { InviteLinkComponent } from '../../shared/invite-link/invite-link.component';

/** "Create room": name, optional password and member limit, history setting; then the code and an invite link to share. */
@Component({
  selector: 'cv-create-room-dialog',
  imports: [InviteLinkComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <button class="button primary wide" type="button" (click)="open()">Create room</button>
    <dialog #dialog aria-labelledby="create-room-heading" (close)="reset()">
      @if (created(); as room) {
        <h2 id="create-room-heading">Room created</h2>
        <p>Share this code (and the password, if you set one) with the people you invite:</p>
        <p class="room-code-big" aria-label="New room code">{{ room.code }}</p>
        <p class="hint">
          @if (withPassword()) {
            Whoever gives the right password joins at once; nobody else can join.
          } @else {
            With the code alone, a member has to let each person in.
          }
          An invite link lets people in without that step:
        </p>
        <cv-invite-link [room]="room" />
        <button class="button primary" type="button" (click)="openRoom(room)">Open {{ room.name }}</button>
      } @else {
        <h2 id="create-room-heading">Create a room</h2>
        <form (submit)="submit($event)">
          <label for="cr-name">Room name</label>
          <input id="cr-name" name="name" required [attr.maxlength]="nameMax" [value]="name()" (input)="name.set($any($event.target).value)" />
          <label for="cr-password">Room password (optional, it never leaves your browser)</label>
          <input id="cr-password" name="password" type="password" autocomplete="new-password" [value]="password()" (input)="password.set($any($event.target).value)" />
          <label for="cr-limit">Member limit (optional, 2–{{ membersMax }})</label>
          <input id="cr-limit" name="limit" type="number" min="2" [attr.max]="membersMax" [value]="limit()" (input)="limit.set($any($event.target).value)" />
          <fieldset>
            <legend>History for people who join later</legend>
            <label class="choice"><input type="radio" name="history" value="shared" [checked]="history() === 'shared'" (change)="history.set('shared')" /> They can read earlier messages</label>
            <label class="choice"><input type="radio" name="history" value="joined" [checked]="history() === 'joined'" (change)="history.set('joined')" /> Only messages from when they join</label>
          </fieldset>
          @if (error()) {
            <p class="form-error" role="alert">{{ error() }}</p>
          }
          <div class="actions">
            <button class="button" type="button" (click)="dialog.close()">Cancel</button>
            <button class="button primary" type="submit" [disabled]="busy() || !name().trim()">Create</button>
          </div>
        </form>
      }
    </dialog>
  `,
})
export class CreateRoomDialogComponent {
  private readonly chat = inject(ChatService);
  private readonly router = inject(Router);
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');
  protected readonly nameMax = ROOM_NAME_MAX_CHARS;
  protected readonly membersMax = ROOM_MEMBERS_MAX;
  protected readonly name = signal('');
  protected readonly password = signal('');
  protected readonly limit = signal('');
  protected readonly history = signal<RoomHistory>('shared');
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly created = signal<RoomSummary | null>(null);
  protected readonly withPassword = signal(false);
  private readonly access = inject(RoomAccessService);

  protected open(): void {
    this.dialog().nativeElement.showModal();
  }

  protected reset(): void {
    this.name.set('');
    this.password.set('');
    this.limit.set('');
    this.history.set('shared');
    this.error.set(null);
    this.created.set(null);
    this.withPassword.set(false);
  }

  protected async submit(event: Event): Promise<void> {
    event.preventDefault();
    const limit = this.limit().trim() ? Number(this.limit()) : undefined;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 2 || limit > ROOM_MEMBERS_MAX)) {
      this.error.set(`The member limit must be a whole number from 2 to ${ROOM_MEMBERS_MAX}`);
      return;
    }
    this.busy.set(true);
    this.error.set(null);
    try {
      const password = this.password();
      const room = await this.chat.createRoom({
        name: this.name().trim(),
        history: this.history(),
        ...(password ? { withPassword: true } : {}),
        ...(limit !== undefined ? { maxMembers: limit } : {}),
      });
      // The room exists, signed and with its first key: the password is set as end-to-end secrets (joinKey, sealed admitKey).
      if (password) await this.access.setPassword(room, password);
      this.withPassword.set(!!password);
      this.created.set(room);
    } catch (err) {
      this.error.set((err as Error).message);
    } finally {
      this.busy.set(false);
    }
  }

  protected async openRoom(room: RoomSummary): Promise<void> {
    this.dialog().nativeElement.close();
    await this.router.navigate(['/rooms', room.code]);
  }
}

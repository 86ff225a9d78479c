import { ChangeDetectionStrategy, Component, computed, type ElementRef, inject, input, signal, viewChild } from '@angular/core';
import { ROOM_MEMBERS_MAX, ROOM_NAME_MAX_CHARS, type RoomSummary } from '@conclave/contracts';
import { RoomSettingsService } from '../../core/chat/room-settings.service';

/**
 * The owner's room settings: the name and the member limit (not below the members there are), and the
 * room password, set, changed or removed. The password never leaves this browser: only keys derived
 * from it reach the server (docs/protocol.md §7.7).
 */
@Component({
  selector: 'cv-room-settings-dialog',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <dialog #dialog aria-labelledby="room-settings-heading" class="room-settings" (close)="opened.set(false)">
      <!-- Rendered only while open: a closed dialog leaves no second "Room name" field in the page. -->
      @if (opened()) {
        <h2 id="room-settings-heading">Room settings</h2>
        <form (submit)="save($event)" aria-label="Name and member limit" novalidate>
          <label for="rs-name">Room name</label>
          <input id="rs-name" name="name" required [attr.maxlength]="nameMax" [value]="name()" (input)="name.set($any($event.target).value)" />
          <label for="rs-limit">Member limit ({{ limitMin() }}–{{ membersMax }})</label>
          <input id="rs-limit" name="limit" type="number" [attr.min]="limitMin()" [attr.max]="membersMax" [value]="limit()" (input)="limit.set($any($event.target).value)" />
          <p class="hint">The room has {{ memberCount() }} {{ memberCount() === 1 ? 'member' : 'members' }}: the limit cannot be lower.</p>
          @if (settingsError()) {
            <p class="form-error" role="alert">{{ settingsError() }}</p>
          }
          <p class="hint" role="status">{{ settingsStatus() }}</p>
          <div class="actions">
            <button class="button primary small" type="submit" [disabled]="busy()">Save</button>
          </div>
        </form>

        <form (submit)="setPassword($event)" aria-labelledby="rs-password-heading">
          <h3 id="rs-password-heading">Password</h3>
          <p class="hint">
            @if (room().hasPassword) {
              This room has a password: whoever gives it joins without anyone letting them in. With the code alone, a member has to let each person in.
            } @else {
              No password: people who join with the code wait for a member to let them in. With a password, whoever gives it joins at once.
            }
            It never leaves your browser: the server keeps only a key derived from it.
          </p>
          <label for="rs-password">New room password</label>
          <input id="rs-password" name="password" type="password" autocomplete="new-password" [value]="password()" (input)="password.set($any($event.target).value)" />
          @if (passwordError()) {
            <p class="form-error" role="alert">{{ passwordError() }}</p>
          }
          <p class="hint" role="status">{{ passwordStatus() }}</p>
          <div class="actions">
            @if (room().hasPassword) {
              <button class="button small" type="button" [disabled]="busy()" (click)="confirmRemove.set(true)">Remove password</button>
            }
            <button class="button primary small" type="submit" [disabled]="busy() || !password()">{{ room().hasPassword ? 'Change password' : 'Set password' }}</button>
          </div>
          @if (confirmRemove()) {
            <div class="banner warn" role="alertdialog" aria-labelledby="rs-remove-text">
              <p id="rs-remove-text">Remove the password? People who join with the code will then wait for a member to let them in.</p>
              <button class="button small" type="button" (click)="removePassword()">Yes, remove it</button>
              <button class="button small" type="button" (click)="confirmRemove.set(false)">Keep it</button>
            </div>
          }
        </form>

        <div class="actions">
          <button class="button" type="button" (click)="close()">Close</button>
        </div>
      }
    </dialog>
  `,
  styles: `
    .room-settings form + form {
      margin-top: 1rem;
      padding-top: 0.5rem;
      border-top: 1px solid var(--border);
    }
    h3 {
      font-size: 1rem;
      margin: 0.25rem 0 0;
    }
    .hint {
      margin: 0.25rem 0 0;
    }
    .banner button {
      margin-right: 0.5rem;
    }
  `,
})
export class RoomSettingsDialogComponent {
  /** The room, as the room list has it (kept up to date by 'room:updated'). */
  readonly room = input.required<RoomSummary>();
  /** Members there are now (the room detail's list): the limit cannot go below. */
  readonly memberCount = input.required<number>();
  private readonly settings = inject(RoomSettingsService);
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');
  protected readonly nameMax = ROOM_NAME_MAX_CHARS;
  protected readonly membersMax = ROOM_MEMBERS_MAX;
  protected readonly name = signal('');
  protected readonly limit = signal('');
  protected readonly password = signal('');
  protected readonly opened = signal(false);
  protected readonly busy = signal(false);
  protected readonly confirmRemove = signal(false);
  protected readonly settingsError = signal<string | null>(null);
  protected readonly settingsStatus = signal('');
  protected readonly passwordError = signal<string | null>(null);
  protected readonly passwordStatus = signal('');
  protected readonly limitMin = computed(() => Math.max(2, this.memberCount()));

  /** Opens the dialog with the room's settings as they are now. */
  open(): void {
    this.reset();
    this.opened.set(true);
    this.dialog().nativeElement.showModal();
  }

  protected close(): void {
    this.dialog().nativeElement.close();
  }

  private reset(): void {
    this.name.set(this.room().name);
    this.limit.set(String(this.room().maxMembers));
    this.password.set('');
    this.confirmRemove.set(false);
    this.settingsError.set(null);
    this.settingsStatus.set('');
    this.passwordError.set(null);
    this.passwordStatus.set('');
  }

  protected async save(event: Event): Promise<void> {
    event.preventDefault();
    this.settingsStatus.set('');
    const name = this.name().trim();
    const limit = Number(this.limit());
    if (!name) return this.settingsError.set('The room name must not be empty');
    if (name.length > ROOM_NAME_MAX_CHARS) return this.settingsError.set(`The room name must be at most ${ROOM_NAME_MAX_CHARS} characters`);
    const wholeNumber = this.limit().trim() !== '' && Number.isInteger(limit);
    if (wholeNumber && limit < this.memberCount()) return this.settingsError.set(`The room has ${this.memberCount()} members: the member limit cannot be below that`);
    if (!wholeNumber || limit < 2 || limit > ROOM_MEMBERS_MAX) return this.settingsError.set(`The member limit must be a whole number from 2 to ${ROOM_MEMBERS_MAX}`);
    this.settingsError.set(null);
    this.busy.set(true);
    try {
      const changed = await this.settings.update(this.room(), { name, maxMembers: limit });
      this.settingsStatus.set(changed ? 'Saved: every member sees it now.' : 'Nothing to change.');
    } catch (err) {
      this.settingsError.set((err as Error).message);
    } finally {
      this.busy.set(false);
    }
  }

  protected async setPassword(event: Event): Promise<void> {
    event.preventDefault();
    const password = this.password();
    if (!password) return;
    const changing = this.room().hasPassword;
    this.passwordError.set(null);
    this.passwordStatus.set('Deriving the room keys…');
    this.busy.set(true);
    try {
      await this.settings.setPassword(this.room(), password);
      this.password.set('');
      this.passwordStatus.set(changing ? 'The password is changed: the old one no longer lets anyone in.' : 'The room password is set: whoever gives it joins without approval.');
    } catch (err) {
      this.passwordStatus.set('');
      this.passwordError.set(`The password was not ${changing ? 'changed' : 'set'}: ${(err as Error).message}`);
    } finally {
      this.busy.set(false);
    }
  }

  protected async removePassword(): Promise<void> {
    this.confirmRemove.set(false);
    this.passwordError.set(null);
    this.busy.set(true);
    try {
      await this.settings.removePassword(this.room());
      this.passwordStatus.set('The password is removed: people who join with the code wait for a member to let them in.');
    } catch (err) {
      this.passwordError.set(`The password was not removed: ${(err as Error).message}`);
    } finally {
      this.busy.set(false);
    }
  }
}

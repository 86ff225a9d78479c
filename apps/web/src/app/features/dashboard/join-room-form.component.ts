import { ChangeDetectionStrategy, Component, type ElementRef, inject, signal, viewChild } from '@angular/core';
import { Router } from '@angular/router';
import { LIMITS, ROOM_CODE_PATTERN } from '@conclave/contracts';
import { ApiError } from '../../core/api-client.service';
import { ChatService } from '../../core/chat/chat.service';

/**
 * "Join room" by its code; the password field appears when the code alone opens no room (a password
 * room answers as an unknown code does). The password stays here: only the joinKey and a proof derived
 * from it are sent. A code alone waits for a member to let the user in.
 */
@Component({
  selector: 'cv-join-room-form',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <form class="join" (submit)="submit($event)" aria-labelledby="join-heading">
      <h2 id="join-heading">Join a room</h2>
      <label for="join-code">Room code</label>
      <input id="join-code" name="code" autocomplete="off" autocapitalize="characters" spellcheck="false" [attr.maxlength]="codeLength"
        [value]="code()" (input)="code.set($any($event.target).value.toUpperCase())" />
      @if (needsPassword()) {
        <label for="join-password">Room password</label>
        <input #passwordInput id="join-password" name="password" type="password" autocomplete="off" [value]="password()" (input)="password.set($any($event.target).value)" />
      }
      @if (error()) {
        <p class="form-error" role="alert">{{ error() }}</p>
      }
      @if (busy() && password()) {
        <p class="hint" role="status">Deriving the room key from the password…</p>
      }
      <button class="button wide" type="submit" [disabled]="busy()">Join</button>
    </form>
  `,
})
export class JoinRoomFormComponent {
  private readonly chat = inject(ChatService);
  private readonly router = inject(Router);
  private readonly passwordInput = viewChild<ElementRef<HTMLInputElement>>('passwordInput');
  protected readonly codeLength = LIMITS.roomCodeLength;
  protected readonly code = signal('');
  protected readonly password = signal('');
  protected readonly needsPassword = signal(false);
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);

  protected async submit(event: Event): Promise<void> {
    event.preventDefault();
    const code = this.code().trim().toUpperCase();
    if (!ROOM_CODE_PATTERN.test(code)) {
      this.error.set(`A room code is ${LIMITS.roomCodeLength} characters, letters and digits (no 0, O, 1, I or L)`);
      return;
    }
    this.busy.set(true);
    this.error.set(null);
    try {
      const result = await this.chat.joinRoom(code, this.password() ? { password: this.password() } : {});
      this.code.set('');
      this.password.set('');
      this.needsPassword.set(false);
      // A member, or waiting to be let in: the room's page says which.
      await this.router.navigate(['/rooms', result.room.code]);
    } catch (err) {
      this.error.set((err as Error).message);
      // An unknown code and a room whose password was not given right get the same 404: offer the password field.
      if (err instanceof ApiError && err.status === 404) {
        this.needsPassword.set(true);
        setTimeout(() => this.passwordInput()?.nativeElement.focus());
      }
    } finally {
      this.busy.set(false);
    }
  }
}

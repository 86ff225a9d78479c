import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { DecryptionError } from '@conclave/crypto';
import { AccountService, type PasswordChangeStep } from '../../core/account.service';
import { ApiError } from '../../core/api-client.service';
import { passwordProblem } from '../../core/password-rules';
import { SessionService } from '../../core/session.service';
import { NotificationSettingsComponent } from './notification-settings.component';

const STEPS: Record<PasswordChangeStep, string> = {
  deriving: 'Deriving keys from both passwords…',
  checking: 'Checking your current password…',
  sealing: 'Sealing your keys and contacts under the new password…',
  saving: 'Saving…',
};

/** Account settings: who you are, the password change, and this browser's notification settings. */
@Component({
  selector: 'cv-account',
  imports: [NotificationSettingsComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './account.component.html',
})
export class AccountComponent {
  private readonly account = inject(AccountService);
  protected readonly user = inject(SessionService).user;

  protected readonly current = signal('');
  protected readonly next = signal('');
  protected readonly confirm = signal('');
  protected readonly touched = signal({ next: false, confirm: false });
  protected readonly step = signal<PasswordChangeStep | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly done = signal(false);

  protected readonly nextError = computed(() => {
    if (this.next() !== '' && this.next() === this.current()) return 'Choose a password different from the current one';
    return passwordProblem(this.next(), this.user()?.username ?? '') ?? null;
  });
  protected readonly confirmError = computed(() => (this.confirm() === this.next() ? null : 'The two passwords differ'));
  protected readonly busy = computed(() => this.step() !== null);
  protected readonly stepText = computed(() => (this.step() ? STEPS[this.step()!] : ''));

  protected touch(field: 'next' | 'confirm'): void {
    this.touched.update((t) => ({ ...t, [field]: true }));
  }

  protected async submit(event: Event): Promise<void> {
    event.preventDefault();
    this.touched.set({ next: true, confirm: true });
    this.error.set(null);
    this.done.set(false);
    if (this.current() === '') return this.error.set('Enter your current password');
    if (this.nextError() || this.confirmError()) return;
    try {
      await this.account.changePassword(this.current(), this.next(), (step) => this.step.set(step));
      this.current.set('');
      this.next.set('');
      this.confirm.set('');
      this.touched.set({ next: false, confirm: false });
      this.done.set(true);
    } catch (err) {
      this.error.set(
        err instanceof ApiError ? err.message
        : err instanceof DecryptionError ? 'Your key backup does not open with the current password: nothing was changed'
        : 'The password change failed: ' + (err as Error).message,
      );
    } finally {
      this.step.set(null);
    }
  }
}

import { ChangeDetectionStrategy, Component, computed, inject, signal, viewChild } from '@angular/core';
import { ActivatedRoute, Router, RouterLink } from '@angular/router';
import { USERNAME_PATTERN } from '@conclave/contracts';
import { ApiError } from '../../core/api-client.service';
import { passwordProblem } from '../../core/password-rules';
import { InviteLinkService } from '../../core/invite-link.service';
import { AccountCreatedError, SessionService } from '../../core/session.service';
import { CaptchaComponent } from '../../shared/captcha/captcha.component';

const STEPS: Record<string, string> = {
  deriving: 'Deriving your keys from your password…',
  generating: 'Generating your encryption keys (RSA-4096 takes a few seconds)…',
  sealing: 'Sealing your key backup…',
  registering: 'Creating your account…',
  'signing-in': 'Signing you in…',
};

@Component({
  selector: 'cv-sign-up',
  imports: [RouterLink, CaptchaComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './sign-up.component.html',
})
export class SignUpComponent {
  private readonly session = inject(SessionService);
  private readonly router = inject(Router);
  private readonly route = inject(ActivatedRoute);
  /** An invite link being followed (?invite=CODE#SECRET): joined right after, and kept when switching between sign-in and sign-up. */
  private readonly links = inject(InviteLinkService);
  protected readonly invite = this.links.remember(this.route.snapshot.queryParamMap.get('invite'), this.route.snapshot.fragment) ?? this.links.opened();
  private readonly captchaWidget = viewChild(CaptchaComponent);

  protected readonly username = signal('');
  protected readonly password = signal('');
  protected readonly confirm = signal('');
  protected readonly captcha = signal<string | null>(null);
  protected readonly touched = signal({ username: false, password: false, confirm: false });
  protected readonly step = signal<string | null>(null);
  protected readonly serverError = signal<string | null>(null);
  /** Submitted before the captcha was solved: said beside it until it is. */
  protected readonly captchaMissing = signal(false);
  /** The account was created but signing in to it failed: the user signs in instead of signing up again. */
  protected readonly created = signal<AccountCreatedError | null>(null);

  protected readonly usernameError = computed(() =>
    USERNAME_PATTERN.test(this.username().trim().toLowerCase()) ? null : 'Use 3 to 32 characters: letters, digits, _ . and -',
  );
  protected readonly passwordError = computed(() => passwordProblem(this.password(), this.username()) ?? null);
  protected readonly confirmError = computed(() => (this.confirm() === this.password() ? null : 'The two passwords differ'));
  protected readonly busy = computed(() => this.step() !== null);
  protected readonly stepText = computed(() => (this.step() ? STEPS[this.step()!] : ''));

  protected captchaSolved(solution: string | null): void {
    this.captcha.set(solution);
    if (solution) this.captchaMissing.set(false);
  }

  protected touch(field: 'username' | 'password' | 'confirm'): void {
    this.touched.update((t) => ({ ...t, [field]: true }));
  }

  /** Home, or on to the invite link that brought the user here. */
  private async afterSignIn(): Promise<void> {
    const invite = this.invite;
    if (invite) await this.router.navigate(['/join', invite.code], { fragment: invite.secret });
    else await this.router.navigateByUrl('/home');
  }

  protected async submit(event: Event): Promise<void> {
    event.preventDefault();
    this.touched.set({ username: true, password: true, confirm: true });
    this.serverError.set(null);
    this.created.set(null);
    if (this.usernameError() || this.passwordError() || this.confirmError()) return;
    const captcha = this.captcha();
    this.captchaMissing.set(!captcha);
    if (!captcha) return;
    try {
      await this.session.signUp({ username: this.username(), password: this.password(), captcha }, (step) => this.step.set(step));
      await this.afterSignIn();
    } catch (err) {
      if (err instanceof AccountCreatedError) return this.created.set(err);
      this.serverError.set(err instanceof ApiError ? err.message : 'Sign-up failed: ' + (err as Error).message);
      // A captcha solution counts once: a fresh, unsolved challenge for the next attempt.
      this.captcha.set(null);
      void this.captchaWidget()?.reset();
    } finally {
      this.step.set(null);
    }
  }
}

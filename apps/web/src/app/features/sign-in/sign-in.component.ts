import { ChangeDetectionStrategy, Component, computed, DestroyRef, inject, signal } from '@angular/core';
import { ActivatedRoute, Router, RouterLink } from '@angular/router';
import { ApiError } from '../../core/api-client.service';
import { InviteLinkService } from '../../core/invite-link.service';
import { SessionService } from '../../core/session.service';

@Component({
  selector: 'cv-sign-in',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './sign-in.component.html',
})
export class SignInComponent {
  private readonly session = inject(SessionService);
  private readonly router = inject(Router);
  private readonly route = inject(ActivatedRoute);
  /** An invite link being followed (?invite=CODE#SECRET): joined right after, and kept when switching between sign-in and sign-up. */
  private readonly links = inject(InviteLinkService);
  protected readonly invite = this.links.remember(this.route.snapshot.queryParamMap.get('invite'), this.route.snapshot.fragment) ?? this.links.opened();

  protected readonly username = signal('');
  protected readonly password = signal('');
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  /** Why the user was sent back here (idle disconnect, session ended elsewhere), from the navigation state. */
  protected readonly reason = signal<string | null>((globalThis.history?.state as { reason?: string } | null)?.reason ?? null);
  /** After a wrong password: failures left before a lockout (from the server), null otherwise. */
  protected readonly attemptsLeft = signal<number | null>(null);
  /** Seconds left of a lockout (429), counting down. */
  protected readonly lockedFor = signal(0);
  protected readonly canSubmit = computed(() => !this.busy() && this.lockedFor() === 0 && this.username().trim() !== '' && this.password() !== '');
  private countdown?: ReturnType<typeof setInterval>;

  constructor() {
    inject(DestroyRef).onDestroy(() => clearInterval(this.countdown));
  }

  /** Home, or on to the invite link that brought the user here. */
  private async afterSignIn(): Promise<void> {
    const invite = this.invite;
    if (invite) await this.router.navigate(['/join', invite.code], { fragment: invite.secret });
    else await this.router.navigateByUrl('/home');
  }

  protected async submit(event: Event): Promise<void> {
    event.preventDefault();
    if (!this.canSubmit()) return;
    this.busy.set(true);
    this.error.set(null);
    this.attemptsLeft.set(null);
    try {
      await this.session.signIn(this.username(), this.password());
      await this.afterSignIn();
    } catch (err) {
      if (err instanceof ApiError && err.status === 429 && err.retryAfterSeconds) this.startCountdown(err.retryAfterSeconds);
      if (err instanceof ApiError && err.attemptsLeft !== undefined) this.attemptsLeft.set(err.attemptsLeft);
      this.error.set(err instanceof ApiError ? err.message : 'Sign-in failed: ' + (err as Error).message);
    } finally {
      this.busy.set(false);
    }
  }

  private startCountdown(seconds: number): void {
    clearInterval(this.countdown);
    this.lockedFor.set(seconds);
    this.countdown = setInterval(() => {
      this.lockedFor.update((s) => Math.max(0, s - 1));
      if (this.lockedFor() === 0) {
        clearInterval(this.countdown);
        this.error.set(null);
      }
    }, 1000);
  }
}

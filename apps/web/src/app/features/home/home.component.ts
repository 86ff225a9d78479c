import { ChangeDetectionStrategy, Component, computed, inject, resource } from '@angular/core';
import { RouterLink } from '@angular/router';
import { CryptoService } from '../../core/crypto.service';
import { SessionService } from '../../core/session.service';

/** The lobby: what a signed-in user sees before opening a room. */
@Component({
  selector: 'cv-home',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="panel" aria-labelledby="home-heading">
      <h1 id="home-heading">Welcome, {{ user()?.username }}</h1>
      <p>You are signed in. Your encryption keys are unlocked in this browser only.</p>
      <p>Create a room or join one with its code from the list of rooms; everything you write there is encrypted in this browser.</p>
      <h2>Your fingerprint</h2>
      <p class="hint">Members of your rooms can compare it with you (in person or on a call) to be sure it is really you.</p>
      <p class="fingerprint" aria-label="Your fingerprint">
        @for (group of fingerprint.value() ?? []; track $index) {
          <span>{{ group }}</span>
        }
      </p>
      <p><a routerLink="/account">Account settings</a>: change your password.</p>
    </section>
  `,
})
export class HomeComponent {
  private readonly session = inject(SessionService);
  private readonly crypto = inject(CryptoService);
  protected readonly user = this.session.user;
  protected readonly fingerprint = resource({
    params: computed(() => this.user() ?? undefined),
    loader: ({ params: user }) => this.crypto.fingerprint(user.id, user.publicKeys),
  });
}

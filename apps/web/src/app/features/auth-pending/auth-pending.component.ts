import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { RouterLink } from '@angular/router';

/**
 * What /sign-in and /sign-up show on a server that does not take accounts yet: a plain statement
 * instead of a form that cannot work. The accounts release replaces this with the real screens.
 */
@Component({
  selector: 'cv-auth-pending',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <main class="panel" aria-labelledby="auth-heading">
      <h1 id="auth-heading">{{ action() === 'sign-up' ? 'Create your account' : 'Sign in to Conclave' }}</h1>
      <p role="status">This server does not accept accounts yet: registration and sign-in arrive with the accounts release.</p>
      <a class="button" routerLink="/">Back to the start page</a>
    </main>
  `,
})
export class AuthPendingComponent {
  /** From the route's data (withComponentInputBinding). */
  readonly action = input<'sign-in' | 'sign-up'>('sign-in');
}

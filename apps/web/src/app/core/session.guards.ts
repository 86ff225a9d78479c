import { inject } from '@angular/core';
import { type CanActivateFn, Router } from '@angular/router';
import { SessionService } from './session.service';

/** Screens for signed-in users: others go to the sign-in page. */
export const signedInGuard: CanActivateFn = () => inject(SessionService).state() === 'signed-in' || inject(Router).parseUrl('/sign-in');

/** Sign-in and sign-up: a signed-in user goes home instead. */
export const signedOutGuard: CanActivateFn = () => inject(SessionService).state() !== 'signed-in' || inject(Router).parseUrl('/home');

/** The admin console: site admins only (the server refuses everyone else anyway); others go home. */
export const adminGuard: CanActivateFn = () => {
  const session = inject(SessionService);
  if (session.state() !== 'signed-in') return inject(Router).parseUrl('/sign-in');
  return session.user()?.admin === true || inject(Router).parseUrl('/home');
};

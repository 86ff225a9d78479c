import { computed, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { type ActivatedRouteSnapshot, provideRouter, Router, type RouterStateSnapshot, type UrlTree } from '@angular/router';
import type { MeResponse } from '@conclave/contracts';
import { adminGuard } from './session.guards';
import { type SessionState, SessionService } from './session.service';

describe('adminGuard', () => {
  function guardWith(state: SessionState, user: Partial<MeResponse> | null): true | string {
    const current = signal({ state, user });
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        { provide: SessionService, useValue: { state: computed(() => current().state), user: computed(() => current().user) } },
      ],
    });
    const result = TestBed.runInInjectionContext(() => adminGuard({} as ActivatedRouteSnapshot, {} as RouterStateSnapshot)) as boolean | UrlTree;
    return result === true ? true : TestBed.inject(Router).serializeUrl(result as UrlTree);
  }

  it('lets a signed-in site admin in', () => {
    expect(guardWith('signed-in', { id: 'u', username: 'ada', admin: true })).toBe(true);
  });

  it('sends a signed-in user who is not an admin home', () => {
    expect(guardWith('signed-in', { id: 'u', username: 'bob', admin: false })).toBe('/home');
  });

  it('sends someone signed out to the sign-in page', () => {
    expect(guardWith('signed-out', null)).toBe('/sign-in');
  });
});

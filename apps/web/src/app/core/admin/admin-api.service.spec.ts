import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { ADMIN_PATHS } from '@conclave/contracts';
import { ApiError } from '../api-client.service';
import { AdminApi, adminUrl } from './admin-api.service';

describe('adminUrl', () => {
  it('fills the contract path under the versioned prefix', () => {
    expect(adminUrl(ADMIN_PATHS.rooms)).toBe('/api/admin/v1/rooms');
    expect(adminUrl(ADMIN_PATHS.roomMember, { code: 'ABC234', userId: 'u-1' })).toBe('/api/admin/v1/rooms/ABC234/members/u-1');
  });

  it('encodes each parameter, so a value cannot reach another route', () => {
    expect(adminUrl(ADMIN_PATHS.room, { code: '../users' })).toBe('/api/admin/v1/rooms/..%2Fusers');
  });

  it('refuses a missing, empty or unknown parameter', () => {
    expect(() => adminUrl(ADMIN_PATHS.room)).toThrow('no value for :code');
    expect(() => adminUrl(ADMIN_PATHS.user, { userId: '' })).toThrow('no value for :userId');
    expect(() => adminUrl(ADMIN_PATHS.user, { userId: 'a', code: 'b' })).toThrow('has no :code');
  });
});

describe('AdminApi', () => {
  let http: HttpTestingController;
  let api: AdminApi;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
    api = TestBed.inject(AdminApi);
  });

  afterEach(() => http.verify());

  it('asks for a first page without a cursor and leaves an empty search out', async () => {
    const page = api.rooms({ q: '  ', limit: 50 });
    const request = http.expectOne((r) => r.url === '/api/admin/v1/rooms');
    expect(request.request.method).toBe('GET');
    expect(request.request.params.keys()).toEqual(['limit']);
    request.flush({ items: [], nextCursor: 'c1' });
    await expect(page).resolves.toEqual({ items: [], nextCursor: 'c1' });
  });

  it('passes the cursor back as given and the search trimmed', async () => {
    const page = api.users({ q: ' ali ', cursor: 'eyJ1Ijoi_-' });
    const request = http.expectOne((r) => r.url === '/api/admin/v1/users');
    expect(request.request.urlWithParams).toBe('/api/admin/v1/users?q=ali&cursor=eyJ1Ijoi_-');
    request.flush({ items: [], nextCursor: null });
    await page;
  });

  it('sends the audit filters that are set', async () => {
    const page = api.audit({ actor: 'u-1', action: '', target: undefined, from: '2026-01-01T00:00:00.000Z', cursor: 'c2' });
    const request = http.expectOne((r) => r.url === '/api/admin/v1/audit');
    expect(request.request.urlWithParams).toBe('/api/admin/v1/audit?actor=u-1&from=2026-01-01T00:00:00.000Z&cursor=c2');
    request.flush({ items: [], nextCursor: null });
    await page;
  });

  it('uses the method and body of each action', async () => {
    const calls: Array<[Promise<unknown>, string, string, unknown]> = [
      [api.removeMember('ABC234', 'u-2'), 'DELETE', '/api/admin/v1/rooms/ABC234/members/u-2', null],
      [api.setJoinsBlocked('ABC234', true), 'PUT', '/api/admin/v1/rooms/ABC234/joins', { blocked: true }],
      [api.transferOwnership('ABC234', 'u-3'), 'PUT', '/api/admin/v1/rooms/ABC234/owner', { userId: 'u-3' }],
      [api.deleteRoom('ABC234'), 'DELETE', '/api/admin/v1/rooms/ABC234', null],
      [api.job('j-1'), 'GET', '/api/admin/v1/jobs/j-1', null],
      [api.disableUser('u-4'), 'POST', '/api/admin/v1/users/u-4/disable', null],
      [api.enableUser('u-4'), 'POST', '/api/admin/v1/users/u-4/enable', null],
      [api.endSessions('u-4'), 'DELETE', '/api/admin/v1/users/u-4/sessions', null],
      [api.setAdmin('u-4', false), 'PUT', '/api/admin/v1/users/u-4/admin', { admin: false }],
      [api.createToken({ name: 'ci', scopes: ['rooms:read'], expiresAt: '2027-01-01T00:00:00.000Z' }), 'POST', '/api/admin/v1/tokens', { name: 'ci', scopes: ['rooms:read'], expiresAt: '2027-01-01T00:00:00.000Z' }],
      [api.revokeToken('t-1'), 'DELETE', '/api/admin/v1/tokens/t-1', null],
    ];
    for (const [promise, method, url, body] of calls) {
      const request = http.expectOne(url);
      expect(request.request.method).toBe(method);
      expect(request.request.body).toEqual(body);
      request.flush({});
      await promise;
    }
  });

  it('turns an error body into an ApiError with the server message', async () => {
    const refused = api.disableUser('me');
    http.expectOne('/api/admin/v1/users/me/disable').flush(
      { statusCode: 409, error: 'Conflict', message: 'An admin cannot disable their own account' },
      { status: 409, statusText: 'Conflict' },
    );
    const err = await refused.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 409, message: 'An admin cannot disable their own account' });
  });

  it('joins validation messages, and says when the server gave none', async () => {
    const invalid = api.createToken({ name: '', scopes: [], expiresAt: 'x' });
    http.expectOne('/api/admin/v1/tokens').flush(
      { statusCode: 400, error: 'Bad Request', message: ['name must not be empty', 'scopes must not be empty'] },
      { status: 400, statusText: 'Bad Request' },
    );
    await expect(invalid).rejects.toThrow('name must not be empty; scopes must not be empty');

    const bare = api.tokens();
    http.expectOne('/api/admin/v1/tokens').flush(null, { status: 502, statusText: 'Bad Gateway' });
    await expect(bare).rejects.toThrow('The server answered 502');
  });

  it('reads a rate limit from the Retry-After header', async () => {
    const limited = api.rooms();
    http.expectOne((r) => r.url === '/api/admin/v1/rooms').flush(
      { statusCode: 429, error: 'Too Many Requests', message: 'Too many admin requests' },
      { status: 429, statusText: 'Too Many Requests', headers: { 'Retry-After': '17' } },
    );
    await expect(limited).rejects.toMatchObject({ status: 429, retryAfterSeconds: 17, message: 'Too many admin requests' });
  });
});

import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import type { LoginResponse } from '@conclave/contracts';
import { CryptoService } from './crypto.service';
import { KeyStoreService, type StoredKeys } from './key-store.service';
import { AccountCreatedError, SessionService } from './session.service';

/** IndexedDB is a browser API; the chromium suite covers the real store. */
class MemoryKeyStore {
  stored: { userId: string; keys: StoredKeys } | null = null;
  async save(userId: string, keys: StoredKeys) {
    this.stored = { userId, keys };
  }
  async load(userId: string) {
    return this.stored?.userId === userId ? this.stored.keys : undefined;
  }
  async clear() {
    this.stored = null;
  }
}

describe('SessionService', () => {
  let http: HttpTestingController;
  let session: SessionService;
  let store: MemoryKeyStore;
  const flush = () => new Promise((resolve) => setTimeout(resolve, 20));

  beforeEach(() => {
    store = new MemoryKeyStore();
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting(), { provide: KeyStoreService, useValue: store }] });
    http = TestBed.inject(HttpTestingController);
    session = TestBed.inject(SessionService);
  });

  afterEach(() => http.verify());

  /** Answers each expected request once it has been sent (the flows await crypto between requests). */
  async function answer(method: string, url: string, body: object | null, status = 200): Promise<unknown> {
    for (let i = 0; i < 1000; i++) {
      const pending = http.match({ method, url });
      if (pending.length) {
        const request = pending[0]!;
        request.flush(body, { status, statusText: status === 200 ? 'OK' : 'Error' });
        return request.request.body;
      }
      await flush();
    }
    throw new Error(`no ${method} ${url}`);
  }

  it('signs up: sends the derived authKey, public keys and sealed backup, never the password, then signs in', async () => {
    const password = 'a very private passphrase';
    const steps: string[] = [];
    const done = session.signUp({ username: 'Alice', password, captcha: 'solution' }, (s) => steps.push(s));
    const registered = (await answer('POST', '/api/auth/register', { id: 'x', username: 'alice' }, 201)) as Record<string, unknown>;
    expect(JSON.stringify(registered)).not.toContain(password);
    expect(registered).toMatchObject({ username: 'alice', captcha: 'solution' });
    const loginResponse = { id: registered['userId'], username: 'alice', publicKeys: registered['publicKeys'], keyBackup: registered['keyBackup'] } as LoginResponse;
    const login = (await answer('POST', '/api/auth/login', loginResponse)) as Record<string, unknown>;
    expect(login).toEqual({ username: 'alice', authKey: registered['authKey'] });
    await done;
    expect(steps).toEqual(['deriving', 'generating', 'sealing', 'registering', 'signing-in']);
    expect(session.state()).toBe('signed-in');
    expect(store.stored?.keys.identity.sig.extractable).toBe(false);
    expect(store.stored?.keys.wrapKey.extractable).toBe(false);
    expect(session.wrapKey()).toBe(store.stored?.keys.wrapKey);
  });

  /** Loses the answer of an expected request (the server may have acted on it). */
  async function lose(method: string, url: string): Promise<unknown> {
    for (let i = 0; i < 1000; i++) {
      const [request] = http.match({ method, url });
      if (request) {
        request.error(new ProgressEvent('error'));
        return request.request.body;
      }
      await flush();
    }
    throw new Error(`no ${method} ${url}`);
  }

  const loginAnswer = (registered: Record<string, unknown>) =>
    ({ id: registered['userId'], username: 'alice', publicKeys: registered['publicKeys'], keyBackup: registered['keyBackup'] }) as LoginResponse;

  it('signs in all the same when the answer to the registration was lost but the account exists', async () => {
    const done = session.signUp({ username: 'alice', password: 'a very private passphrase', captcha: 'solution' }, () => undefined);
    const registered = (await lose('POST', '/api/auth/register')) as Record<string, unknown>;
    await answer('POST', '/api/auth/login', loginAnswer(registered));
    await done;
    expect(session.state()).toBe('signed-in');
  });

  it('refuses a taken username without trying to sign in to that account (a failure would count against it)', async () => {
    const done = session.signUp({ username: 'alice', password: 'a very private passphrase', captcha: 'solution' }, () => undefined);
    await answer('POST', '/api/auth/register', { statusCode: 409, message: 'The username "alice" is taken' }, 409);
    await expect(done).rejects.toThrow('The username "alice" is taken');
    expect(session.state()).not.toBe('signed-in');
  });

  it('after an attempt whose outcome stayed unknown, a "taken" on the next one tries the password, which opens the account', async () => {
    const input = { username: 'alice', password: 'a very private passphrase', captcha: 'solution' };
    const first = session.signUp(input, () => undefined);
    await lose('POST', '/api/auth/register');
    await lose('POST', '/api/auth/login');
    await expect(first).rejects.toThrow('Cannot reach the server');
    const again = session.signUp({ ...input, captcha: 'another' }, () => undefined);
    const registered = (await answer('POST', '/api/auth/register', { statusCode: 409, message: 'The username "alice" is taken' }, 409)) as Record<string, unknown>;
    const crypto = TestBed.inject(CryptoService);
    const existing = await crypto.createAccount('alice', input.password, () => undefined);
    await answer('POST', '/api/auth/login', { id: existing.userId, username: 'alice', publicKeys: existing.publicKeys, keyBackup: existing.keyBackup });
    await again;
    expect(registered['username']).toBe('alice');
    expect(session.state()).toBe('signed-in');
  });

  it('says the account was created when only the sign-in after it failed', async () => {
    const done = session.signUp({ username: 'alice', password: 'a very private passphrase', captcha: 'solution' }, () => undefined);
    await answer('POST', '/api/auth/register', { id: 'x', username: 'alice' }, 201);
    await lose('POST', '/api/auth/login');
    const err = await done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccountCreatedError);
    expect((err as AccountCreatedError).username).toBe('alice');
  });

  it('refuses a sign-in whose backup does not open, and ends that server session', async () => {
    const crypto = TestBed.inject(CryptoService);
    const other = await crypto.createAccount('alice', 'the real passphrase', () => undefined);
    const done = session.signIn('alice', 'a wrong passphrase');
    await answer('POST', '/api/auth/login', { id: other.userId, username: 'alice', publicKeys: other.publicKeys, keyBackup: other.keyBackup });
    await answer('POST', '/api/auth/logout', null, 204);
    await expect(done).rejects.toThrow('Your key backup could not be opened with this password');
    expect(session.state()).not.toBe('signed-in');
    expect(store.stored).toBeNull();
  });

  it('restores a session only when this browser still holds the keys, and signs out otherwise', async () => {
    const restoring = session.restore();
    await answer('GET', '/api/auth/session', { user: { id: 'u1', username: 'alice', publicKeys: { enc: 'e', sig: 's' } } });
    await answer('POST', '/api/auth/logout', null, 204);
    await restoring;
    expect(session.state()).toBe('signed-out');
  });

  it('signs out: forgets the keys even when the server cannot be reached', async () => {
    store.stored = { userId: 'u1', keys: {} as StoredKeys };
    const out = session.signOut();
    await answer('POST', '/api/auth/logout', null, 0);
    await expect(out).rejects.toBeDefined();
    expect(store.stored).toBeNull();
    expect(session.state()).toBe('signed-out');
  });
});

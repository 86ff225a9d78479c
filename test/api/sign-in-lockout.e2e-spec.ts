import { createHmac } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { AUTH_PATHS, DEVICE_COOKIE, SESSION_COOKIE } from '@conclave/contracts';
import { deriveAccountKeys } from '@conclave/crypto';
import request from 'supertest';
import { sql } from '../support/db.js';
import { type Account, FAST_AUTH_ENV, newAccount, registerBody, solveCaptcha } from '../support/accounts.js';
import { ServerProcess } from '../support/server.js';

/**
 * The sign-in lockout under attack: a burst of parallel guesses, an attacker keeping a username
 * locked, forged device tokens. Behind the proxy (TRUST_PROXY=1), so each request can come from an
 * address of its own (X-Forwarded-For); lockouts last longer than any of these tests.
 */
const MAX_FAILURES = 3;
const DEVICE_SECRET = 'a device-token secret of at least 32 characters';
const wrongKey = Buffer.alloc(32, 7).toString('base64');
let server: ServerProcess;
const accounts: Record<string, Account> = {};
const names = ['olga', 'pia', 'quinn', 'rosa', 'sven', 'tara', 'uma', 'vera', 'legacy', 'wendy'];

beforeAll(async () => {
  server = await ServerProcess.start({
    env: {
      ...FAST_AUTH_ENV,
      TRUST_PROXY: '1',
      LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      LOGIN_ADDRESS_MAX_FAILURES: '20',
      LOGIN_FAILURE_WINDOW_SECONDS: '600',
      LOGIN_LOCKOUT_SECONDS: '600',
      LOGIN_DEVICE_SECRET: DEVICE_SECRET,
      LOGIN_DEVICE_TOKEN_DAYS: '2',
      REGISTER_LIMIT_PER_HOUR: '100',
    },
  });
  for (const name of names) {
    accounts[name] = await newAccount(name);
    await call('198.51.100.1').post(AUTH_PATHS.register).send(registerBody(accounts[name]!, await solveCaptcha(server))).expect(201);
  }
});

afterAll(async () => {
  await server?.stop();
});

/** A request as the proxy forwards it, from client `ip`, with the given cookies ("name=value"). */
function call(ip: string, ...cookies: Array<string | undefined>) {
  const base = request(`http://127.0.0.1:${server.port}`);
  const origin = `https://127.0.0.1:${server.port}`;
  const present = cookies.filter(Boolean);
  const decorate = (r: request.Test) => {
    r.set('X-Forwarded-Proto', 'https').set('X-Forwarded-For', ip).set('Origin', origin);
    return present.length ? r.set('Cookie', present.join('; ')) : r;
  };
  return { post: (path: string) => decorate(base.post(path)) };
}

const login = (ip: string, username: string, authKey = wrongKey, ...cookies: Array<string | undefined>) =>
  call(ip, ...cookies).post(AUTH_PATHS.login).send({ username, authKey });
const key = (name: string) => accounts[name]!.keys.authKey;

/** "name=value" of a cookie a response set. */
function cookieSet(res: request.Response, name: string): string {
  const cookie = [res.headers['set-cookie']].flat().find((c: string) => c?.startsWith(`${name}=`));
  if (!cookie) throw new Error(`no ${name} cookie in ${JSON.stringify(res.headers['set-cookie'])}`);
  return cookie.split(';')[0]!;
}

/** Signs in with the right key (as the owner's browser does); its session and device cookies. */
async function signIn(name: string, ip = '192.0.2.1') {
  const res = await login(ip, name, key(name)).expect(200);
  return { session: cookieSet(res, SESSION_COOKIE), device: cookieSet(res, DEVICE_COOKIE) };
}

async function audited(event: string, username: string): Promise<number> {
  const [{ n }] = await sql<{ n: number }>(server, `SELECT count(*)::int AS n FROM audit_log WHERE event = $1 AND details->>'username' = $2`, [event, username]);
  return n;
}

/** A device token as the server makes one, signed with `secret`. */
function forgeDeviceToken(claims: { u: string; n: string; e: number }, secret = DEVICE_SECRET): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${DEVICE_COOKIE}=${payload}.${createHmac('sha256', secret).update(`conclave-device-token:${payload}`).digest('base64url')}`;
}

const statuses = (responses: request.Response[]) => responses.map((r) => r.status).sort((a, b) => a - b);

describe('the attempt is counted before the key is compared', () => {
  it(`checks at most LOGIN_MAX_FAILURES of 40 parallel guesses, then refuses the right key (429)`, async () => {
    const burst = await Promise.all(Array.from({ length: 40 }, () => login('203.0.113.1', 'olga')));
    // Every compare that fails writes one audit row: exactly the budget was compared, no more.
    expect(await audited('auth.login_failed', 'olga')).toBe(MAX_FAILURES);
    expect(statuses(burst)).toEqual([...Array(MAX_FAILURES - 1).fill(401), ...Array(40 - MAX_FAILURES + 1).fill(429)]);
    expect(burst.filter((r) => r.status === 401).map((r) => r.body.attemptsLeft).sort()).toEqual([1, 2]);

    const right = await login('203.0.113.2', 'olga', key('olga')).expect(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(500);
    expect(await audited('auth.login_failed', 'olga')).toBe(MAX_FAILURES);
  });

  it('lets in a right key that comes with a parallel burst only within the budget: never more than LOGIN_MAX_FAILURES wrong keys are compared', async () => {
    const guesses = Array.from({ length: 39 }, () => login('203.0.113.3', 'pia'));
    const right = login('203.0.113.3', 'pia', key('pia'));
    const [rightStatus] = statuses([await right]);
    await Promise.all(guesses);
    expect(await audited('auth.login_failed', 'pia')).toBeLessThanOrEqual(MAX_FAILURES);
    expect([200, 429]).toContain(rightStatus);
  });

  it('counts POST /api/auth/key-backup and /api/auth/password the same way: 40 parallel wrong keys, at most LOGIN_MAX_FAILURES compared, then the right one refused', async () => {
    // A signed-in session without its device token (say, a stolen session cookie).
    const { session } = await signIn('quinn');
    const backups = await Promise.all(Array.from({ length: 40 }, () => call('203.0.113.4', session).post(AUTH_PATHS.keyBackup).send({ authKey: wrongKey })));
    expect(await audited('auth.key_backup_failed', 'quinn')).toBe(MAX_FAILURES);
    expect(statuses(backups)).toEqual([...Array(MAX_FAILURES - 1).fill(401), ...Array(40 - MAX_FAILURES + 1).fill(429)]);
    expect(backups.find((r) => r.status === 401)!.body.message).toBe('The current password is wrong');
    await call('203.0.113.4', session).post(AUTH_PATHS.keyBackup).send({ authKey: key('quinn') }).expect(429);

    const { session: rosaSession } = await signIn('rosa');
    const next = await deriveAccountKeys('rosa wants a new passphrase', 'rosa');
    const change = (currentAuthKey: string) =>
      call('203.0.113.5', rosaSession).post(AUTH_PATHS.password).send({ currentAuthKey, newAuthKey: next.authKey, newKeyBackup: accounts.rosa!.keyBackup });
    const changes = await Promise.all(Array.from({ length: 40 }, () => change(wrongKey)));
    expect(await audited('auth.password_change_failed', 'rosa')).toBe(MAX_FAILURES);
    expect(statuses(changes)).toEqual([...Array(MAX_FAILURES - 1).fill(401), ...Array(40 - MAX_FAILURES + 1).fill(429)]);
    await change(key('rosa')).expect(429);
    const [rosa] = await sql<{ unchanged: boolean }>(server, `SELECT credential_changed_at = created_at AS unchanged FROM users WHERE username = 'rosa'`);
    expect(rosa!.unchanged).toBe(true);
  });
});

describe('counters a success leaves behind', () => {
  const counters = async () => (await sql<{ key: string }>(server, `SELECT key FROM login_failures ORDER BY key`)).map((row) => row.key);

  it('deletes a counter that a success brings back to zero, for a client with a device token and one without', async () => {
    const before = await counters();
    const { device } = await signIn('wendy', '203.0.113.77');
    await login('203.0.113.77', 'wendy', key('wendy'), device).expect(200);
    expect(await counters()).toEqual(before);

    // A failure stays counted; the next success gives back only its own attempt.
    await login('203.0.113.77', 'wendy').expect(401);
    await login('203.0.113.77', 'wendy', key('wendy')).expect(200);
    expect((await counters()).filter((k) => !before.includes(k)).sort()).toEqual(['ip:203.0.113.77', 'user:wendy']);
  });
});

describe('device tokens (OWASP device cookies)', () => {
  it('sets a __Host- device token: HttpOnly, Secure, SameSite=Strict, for LOGIN_DEVICE_TOKEN_DAYS; its secret is a 0600 file or the setting, never the database', async () => {
    const res = await login('192.0.2.2', 'sven', key('sven')).expect(200);
    const cookie = [res.headers['set-cookie']].flat().find((c: string) => c.startsWith(`${DEVICE_COOKIE}=`))!;
    expect(cookie).toMatch(/; Path=\/(;|$)/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(new RegExp(`; Max-Age=${2 * 86_400}(;|$)`));
    expect(cookie).not.toMatch(/Domain=/);
    // This server signs with LOGIN_DEVICE_SECRET: no file, and nothing in the database.
    expect(statSync(join(server.dataDir, 'device-token.secret'), { throwIfNoEntry: false })).toBeUndefined();
    const stored = await sql<{ value: string }>(server, `SELECT value FROM server_secrets`);
    expect(stored.map((r) => r.value)).not.toContain(DEVICE_SECRET);
  });

  it('keeps the owner signing in while an attacker holds the username locked, on every route that checks the key', async () => {
    const { device } = await signIn('tara', '192.0.2.3');
    // The attacker, from anywhere, keeps the username locked for every client without a token.
    for (let i = 0; i < MAX_FAILURES; i++) await login(`203.0.113.${60 + i}`, 'tara');
    await login('203.0.113.70', 'tara').expect(429);
    await login('192.0.2.3', 'tara', key('tara')).expect(429); // the owner on a new browser, even from home

    const back = await login('198.51.100.9', 'tara', key('tara'), device).expect(200);
    const session = cookieSet(back, SESSION_COOKIE);
    await call('198.51.100.9', session, device).post(AUTH_PATHS.keyBackup).send({ authKey: key('tara') }).expect(200);
    await call('198.51.100.9', session).post(AUTH_PATHS.keyBackup).send({ authKey: key('tara') }).expect(429);
    // Each sign-in hands out a new token; it works the same.
    await login('198.51.100.9', 'tara', key('tara'), cookieSet(back, DEVICE_COOKIE)).expect(200);
  });

  it('counts a device token’s own failures: it locks alone, and neither the username nor other browsers pay for it', async () => {
    const { device } = await signIn('uma');
    const left = [];
    for (let i = 0; i < MAX_FAILURES - 1; i++) left.push((await login('192.0.2.4', 'uma', wrongKey, device).expect(401)).body.attemptsLeft);
    expect(left).toEqual([2, 1]);
    await login('192.0.2.4', 'uma', wrongKey, device).expect(429);
    await login('192.0.2.4', 'uma', key('uma'), device).expect(429);
    expect((await sql(server, `SELECT 1 FROM audit_log WHERE event = 'auth.lockout' AND details->>'username' = 'uma' AND details->>'device' = 'true'`)).length).toBe(1);
    // The username's counter never saw those failures.
    expect((await login('192.0.2.5', 'uma').expect(401)).body.attemptsLeft).toBe(2);
    await login('192.0.2.5', 'uma', key('uma')).expect(200);
  });

  it('ignores a forged, tampered, expired or other user’s token: such a client counts as one without a token', async () => {
    const vera = await signIn('vera');
    const sven = await signIn('sven');
    for (let i = 0; i < MAX_FAILURES; i++) await login(`203.0.113.${80 + i}`, 'vera');
    const [, value] = vera.device.split('=');
    const [payload, signature] = value!.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const now = Math.floor(Date.now() / 1000);

    const refused = {
      "another user's token": sven.device,
      'a token re-signed with another secret': forgeDeviceToken(claims, 'not the server secret, but as long as it'),
      'a token whose claims were changed': `${DEVICE_COOKIE}=${Buffer.from(JSON.stringify({ ...claims, e: now + 999_999 })).toString('base64url')}.${signature}`,
      'an expired token': forgeDeviceToken({ ...claims, e: now - 1 }),
      'a token that is not one': `${DEVICE_COOKIE}=garbage`,
    };
    for (const [what, cookie] of Object.entries(refused)) {
      const res = await login('192.0.2.6', 'vera', key('vera'), cookie);
      expect([what, res.status]).toEqual([what, 429]);
    }
    // The genuine token, and one signed with the server's secret (which only the server holds), work.
    await login('192.0.2.6', 'vera', key('vera'), vera.device).expect(200);
    await login('192.0.2.6', 'vera', key('vera'), forgeDeviceToken({ ...claims, n: 'another-nonce-of-this-browser' })).expect(200);
  });
});

describe('bcrypt', () => {
  it('still accepts credentials hashed by bcryptjs ($2a$ and $2b$), as stored before the switch to native bcrypt', async () => {
    // deriveAccountKeys('legacy has a long passphrase', 'legacy').authKey, hashed with bcryptjs at cost 4.
    expect(key('legacy')).toBe('OUqPkOP9l0pv3WX6Ic1YNw6oXzZgz1GcXEhjvT0UTlg=');
    for (const hash of ['$2a$04$CGCw6t0QXvXTDyEBN2z6BOlT2tbu4A5i2/O8.VpP0sg2w8LlLTycu', '$2b$04$pGP15wWsnqqqXwdEEEqLrufux/s8uKzE2mQS3YJnAF54gN6xlIrIq']) {
      await sql(server, `UPDATE users SET auth_hash = $1 WHERE username = 'legacy'`, [hash]);
      const res = await login('192.0.2.7', 'legacy', key('legacy')).expect(200);
      expect(res.body.username).toBe('legacy');
      expect((await login('192.0.2.7', 'legacy').expect(401)).body.message).toBe('Wrong username or password');
    }
  });
});

describe('the sign-in settings are validated at start', () => {
  it.each([
    [{ LOGIN_ADDRESS_MAX_FAILURES: '0' }, 'LOGIN_ADDRESS_MAX_FAILURES: must be a whole number (1 or more) (got "0")'],
    [{ LOGIN_DEVICE_TOKEN_DAYS: '9999' }, 'LOGIN_DEVICE_TOKEN_DAYS: must be a whole number of days from 1 to 3650 (got "9999")'],
    // A secret is named by its length only, never printed.
    [{ LOGIN_DEVICE_SECRET: 'too-short-secret' }, 'LOGIN_DEVICE_SECRET: must be at least 32 characters (e.g. the output of openssl rand -base64 32) (got 16 characters)'],
  ])('%j stops the process with one line', async (env, line) => {
    const refused = await ServerProcess.spawn({ env });
    const exit = await refused.exited;
    expect(exit.code).toBe(1);
    expect(refused.stderr.trim()).toBe(`conclave: ${line}`);
  });
});

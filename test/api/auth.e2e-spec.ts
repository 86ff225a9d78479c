import { AUTH_PATHS, SESSION_COOKIE } from '@conclave/contracts';
import { deriveAccountKeys, keysDigest, openContactBook, openKeyBackup, rewrapKeyBackup, sealContactBook, sealKeyBackup } from '@conclave/crypto';
import request from 'supertest';
import { sql } from '../support/db.js';
import { type Account, browserClient, FAST_AUTH_ENV, newAccount, registerBody, solveCaptcha } from '../support/accounts.js';
import { ServerProcess } from '../support/server.js';

let server: ServerProcess;
let alice: Account;

const browser = () => browserClient(server);
/** "name=value" of the cookie `name` a response sets (a sign-in sets the session cookie and a device token). */
const cookieSet = (res: request.Response, name = SESSION_COOKIE) => [res.headers['set-cookie']].flat().find((c: string) => c.startsWith(`${name}=`))!.split(';')[0]!;
const anonymous = () => request(server.origin);

async function register(account: Account): Promise<void> {
  await anonymous().post('/api/auth/register').ca(server.certificate).set('Origin', server.origin).send(registerBody(account, await solveCaptcha(server))).expect(201);
}

async function signIn(account: Account, authKey = account.keys.authKey) {
  const client = browser();
  const res = await client.post('/api/auth/login', { username: account.username, authKey });
  return { client, res };
}

beforeAll(async () => {
  // Lockout and registration throttling have their own suite (auth-limits): every request here comes
  // from 127.0.0.1, so this one lifts both limits out of the way.
  const env = { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', LOGIN_MAX_FAILURES: '1000' };
  [server, alice] = await Promise.all([ServerProcess.start({ env }), newAccount('alice')]);
  await register(alice);
});

afterAll(async () => {
  await server?.stop();
});

describe('registration', () => {
  it('refuses a second account with the same username, whatever its case', async () => {
    const twin = await newAccount('alice');
    const res = await anonymous()
      .post('/api/auth/register')
      .ca(server.certificate)
      .send({ ...registerBody(twin, await solveCaptcha(server)), username: 'ALICE' })
      .expect(409);
    expect(res.body.message).toBe('The username "alice" is taken');
  });

  it('refuses a missing, wrong or replayed captcha with a clear message', async () => {
    const bob = await newAccount('bob');
    const post = (captcha: unknown) => anonymous().post('/api/auth/register').ca(server.certificate).send({ ...registerBody(bob, ''), captcha });
    expect((await post(undefined).expect(400)).body.message).toContain('captcha is required');
    expect((await post('bm90IGEgc29sdXRpb24=').expect(400)).body.message).toMatch(/^Captcha not solved/);
    const solved = await solveCaptcha(server);
    const tampered = JSON.parse(Buffer.from(solved, 'base64').toString());
    tampered.challenge.parameters.salt = 'f'.repeat(tampered.challenge.parameters.salt.length);
    expect((await post(Buffer.from(JSON.stringify(tampered)).toString('base64')).expect(400)).body.message).toMatch(/^Captcha not solved/);
    await post(solved).expect(201);
    const carol = await newAccount('carol');
    const replay = await anonymous().post('/api/auth/register').ca(server.certificate).send(registerBody(carol, solved)).expect(400);
    expect(replay.body.message).toMatch(/already been used|already used/);
  });

  it('refuses public keys that are not RSA-4096 / P-256', async () => {
    const dave = await newAccount('dave');
    const res = await anonymous()
      .post('/api/auth/register')
      .ca(server.certificate)
      .send({ ...registerBody(dave, await solveCaptcha(server)), publicKeys: { enc: alice.publicKeys.sig, sig: alice.publicKeys.sig } })
      .expect(400);
    expect(res.body.message).toMatch(/^publicKeys: /);
  });

  type Body = ReturnType<typeof registerBody> & Record<string, unknown>;
  it.each([
    ['no body', () => undefined, /userId must be a UUID/],
    ['a malformed userId', (v: Body) => ({ ...v, userId: '42' }), /userId must be a UUID/],
    ['a short username', (v: Body) => ({ ...v, username: 'al' }), /username must be 3-32/],
    ['a username with spaces', (v: Body) => ({ ...v, username: 'al ice' }), /username must be 3-32/],
    ['a 33-character username', (v: Body) => ({ ...v, username: 'a'.repeat(33) }), /username must be 3-32/],
    ['a raw password instead of an authKey', (v: Body) => ({ ...v, authKey: 'hunter2hunter2' }), /authKey must be base64 of 32 bytes/],
    ['missing public keys', (v: Body) => ({ ...v, publicKeys: undefined }), /publicKeys is required/],
    ['public keys that are not base64', (v: Body) => ({ ...v, publicKeys: { enc: '%%', sig: '%%' } }), /enc must be base64/],
    ['a backup of an unknown version', (v: Body) => ({ ...v, keyBackup: { ...v.keyBackup, v: 2 } }), /keyBackup.v must be 1/],
    ['a backup IV of the wrong size', (v: Body) => ({ ...v, keyBackup: { ...v.keyBackup, iv: 'AAAA' } }), /keyBackup.iv must be 12 bytes/],
    ['an unknown field', (v: Body) => ({ ...v, isAdmin: true }), /property isAdmin should not exist/],
  ])('answers 400 with a message for %s', async (_case, alter, message) => {
    const body = alter(registerBody(alice, 'x') as Body);
    const res = await anonymous().post('/api/auth/register').ca(server.certificate).send(body as object).expect(400);
    expect([res.body.message].flat().join('\n')).toMatch(message);
  });

  it('answers 400 for a body that is not JSON', async () => {
    await anonymous().post('/api/auth/register').ca(server.certificate).set('Content-Type', 'application/json').send('{"userId":').expect(400);
  });
});

describe('login, session, logout', () => {
  it('signs in with the authKey, sets a __Host- session cookie, and returns the backup that opens with the password', async () => {
    const { client, res } = await signIn(alice);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: alice.userId, username: 'alice', publicKeys: alice.publicKeys, keyBackup: alice.keyBackup });
    const cookie = [res.headers['set-cookie']].flat().find((c: string) => c.startsWith(`${SESSION_COOKIE}=`))!;
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Expires=/);
    expect(cookie).not.toMatch(/Domain=/);

    // What the browser does next: re-derive wrapKey from the typed password and open the backup.
    const { wrapKey } = await deriveAccountKeys(alice.password, alice.username);
    const keys = await openKeyBackup(res.body.keyBackup, wrapKey, res.body.id);
    expect(keys.sig.extractable).toBe(false);

    expect((await client.get('/api/auth/me').expect(200)).body).toEqual({ id: alice.userId, username: 'alice', publicKeys: alice.publicKeys, admin: false });
    expect((await client.get('/api/auth/session').expect(200)).body).toEqual({ user: { id: alice.userId, username: 'alice', publicKeys: alice.publicKeys, admin: false } });
    await client.post('/api/auth/logout').expect(204);
    await client.get('/api/auth/me').expect(401);
    expect((await client.get('/api/auth/session').expect(200)).body).toEqual({ user: null });
  });

  it('refuses a session cookie after logout, even when replayed', async () => {
    const { client, res } = await signIn(alice);
    const cookie = cookieSet(res);
    await client.post('/api/auth/logout').expect(204);
    await anonymous().get('/api/auth/me').ca(server.certificate).set('Cookie', cookie).expect(401);
  });

  it('issues a new session id at each sign-in (no fixation)', async () => {
    const sid = (res: request.Response) => cookieSet(res);
    const first = await signIn(alice);
    const second = await first.client.post('/api/auth/login', { username: 'alice', authKey: alice.keys.authKey }).expect(200);
    expect(sid(second)).not.toBe(sid(first.res));
    // The old id is gone server-side.
    await anonymous().get('/api/auth/me').ca(server.certificate).set('Cookie', sid(first.res)).expect(401);
  });

  it('refuses a wrong authKey and an unknown user with the same answer', async () => {
    const bogus = (await deriveAccountKeys('not her password at all', 'alice')).authKey;
    const wrong = await browser().post('/api/auth/login', { username: 'alice', authKey: bogus }).expect(401);
    const unknown = await browser().post('/api/auth/login', { username: 'nobody-here', authKey: bogus }).expect(401);
    expect(wrong.body.message).toBe('Wrong username or password');
    expect(unknown.body.message).toBe(wrong.body.message);
  });

  it.each([
    ['no body', undefined],
    ['a missing authKey', { username: 'alice' }],
    ['a password instead of an authKey', { username: 'alice', authKey: 'correct horse battery staple' }],
    ['a malformed username', { username: 'a/b', authKey: 'A'.repeat(43) + '=' }],
    ['an extra field', { username: 'alice', authKey: 'A'.repeat(43) + '=', remember: true }],
  ])('answers 400 with a message for a login with %s', async (_case, body) => {
    const res = await browser().post('/api/auth/login', body).expect(400);
    expect(res.body.message).toBeDefined();
  });
});

describe('key directory', () => {
  it("serves a user's public keys to signed-in users only", async () => {
    await anonymous().get(`/api/users/${alice.userId}/keys`).ca(server.certificate).expect(401);
    const { client } = await signIn(alice);
    expect((await client.get(`/api/users/${alice.userId}/keys`).expect(200)).body).toEqual({ id: alice.userId, username: 'alice', publicKeys: alice.publicKeys });
    await client.get('/api/users/00000000-0000-4000-8000-000000000000/keys').expect(404);
    expect((await client.get('/api/users/not-a-uuid/keys').expect(400)).body.message).toMatch(/uuid/i);
  });
});

describe('password change', () => {
  it('proves the old credential, swaps credential and backup atomically, and ends the other sessions', async () => {
    const erin = await newAccount('erin');
    await register(erin);
    const laptop = await signIn(erin);
    const phone = await signIn(erin);

    const newPassword = 'erin has a brand new passphrase';
    const next = await deriveAccountKeys(newPassword, 'erin');
    const newKeyBackup = await sealKeyBackup(erin.identity, next.wrapKey, erin.userId);

    const wrongProof = (await deriveAccountKeys('erin guessed wrong here', 'erin')).authKey;
    await laptop.client.post('/api/auth/password', { currentAuthKey: wrongProof, newAuthKey: next.authKey, newKeyBackup }).expect(401);
    await laptop.client.post('/api/auth/password', { currentAuthKey: erin.keys.authKey, newAuthKey: next.authKey, newKeyBackup: { v: 1 } }).expect(400);
    await laptop.client.post('/api/auth/password', { currentAuthKey: erin.keys.authKey, newAuthKey: next.authKey, newKeyBackup }).expect(204);

    await laptop.client.get('/api/auth/me').expect(200);
    await phone.client.get('/api/auth/me').expect(401);
    await browser().post('/api/auth/login', { username: 'erin', authKey: erin.keys.authKey }).expect(401);
    const again = await browser().post('/api/auth/login', { username: 'erin', authKey: next.authKey }).expect(200);
    await expect(openKeyBackup(again.body.keyBackup, next.wrapKey, erin.userId)).resolves.toBeDefined();
  });

  it('gives the key backup only for the current credential, so a browser can re-seal it for a new password', async () => {
    const gwen = await newAccount('gwen');
    await register(gwen);
    const { client } = await signIn(gwen);
    await browser().post(AUTH_PATHS.keyBackup, { authKey: gwen.keys.authKey }).expect(401);
    expect((await client.post(AUTH_PATHS.keyBackup, { authKey: 'hunter2' }).expect(400)).body.message).toEqual(['authKey must be base64 of 32 bytes']);
    const guess = (await deriveAccountKeys('gwen guessed wrong here', 'gwen')).authKey;
    expect((await client.post(AUTH_PATHS.keyBackup, { authKey: guess }).expect(401)).body.message).toBe('The current password is wrong');
    // Counted like a failed sign-in (the lockout's counters; auth-limits covers the lockout itself).
    expect(await sql(server, `SELECT 1 FROM audit_log WHERE event = 'auth.key_backup_failed' AND details->>'username' = 'gwen'`)).toHaveLength(1);

    // What the web app does: the private keys are non-extractable there, so it re-seals the backup.
    const backup = (await client.post(AUTH_PATHS.keyBackup, { authKey: gwen.keys.authKey }).expect(200)).body;
    const next = await deriveAccountKeys('gwen now has another passphrase', 'gwen');
    const newKeyBackup = await rewrapKeyBackup(backup, gwen.keys.wrapKey, next.wrapKey, gwen.userId);
    await client.post(AUTH_PATHS.password, { currentAuthKey: gwen.keys.authKey, newAuthKey: next.authKey, newKeyBackup }).expect(204);
    await client.post(AUTH_PATHS.keyBackup, { authKey: gwen.keys.authKey }).expect(401);

    const again = await browser().post('/api/auth/login', { username: 'gwen', authKey: next.authKey }).expect(200);
    const keys = await openKeyBackup(again.body.keyBackup, next.wrapKey, gwen.userId);
    const probe = new TextEncoder().encode('probe');
    const signature = await globalThis.crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.sig, probe);
    expect(await globalThis.crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, gwen.identity.sig.publicKey, signature, probe)).toBe(true);
  });

  it('re-seals the contact book in the same change, or deletes the one that could no longer be opened', async () => {
    const fay = await newAccount('fay');
    await register(fay);
    const { client } = await signIn(fay);
    const book = { v: 1 as const, contacts: { [alice.userId]: { keys: await keysDigest(alice.publicKeys), verified: true } } };
    await client.put(AUTH_PATHS.contacts, await sealContactBook(book, fay.keys.wrapKey, fay.userId)).expect(204);

    const second = await deriveAccountKeys('fay picked a second passphrase', 'fay');
    const change = async (from: typeof second | typeof fay.keys, to: typeof second, withBook: boolean) =>
      client
        .post('/api/auth/password', {
          currentAuthKey: from.authKey,
          newAuthKey: to.authKey,
          newKeyBackup: await sealKeyBackup(fay.identity, to.wrapKey, fay.userId),
          ...(withBook ? { newContactBook: await sealContactBook(book, to.wrapKey, fay.userId) } : {}),
        })
        .expect(204);
    // A malformed book refuses the whole change.
    await client.post('/api/auth/password', { currentAuthKey: fay.keys.authKey, newAuthKey: second.authKey, newKeyBackup: await sealKeyBackup(fay.identity, second.wrapKey, fay.userId), newContactBook: { v: 1, iv: 'x', ct: 'AAAA' } }).expect(400);
    await browser().post('/api/auth/login', { username: 'fay', authKey: fay.keys.authKey }).expect(200);

    await change(fay.keys, second, true);
    const kept = (await client.get(AUTH_PATHS.contacts).expect(200)).body;
    expect(await openContactBook(kept, second.wrapKey, fay.userId)).toEqual(book);

    const third = await deriveAccountKeys('and fay changed it once more', 'fay');
    await change(second, third, false);
    await client.get(AUTH_PATHS.contacts).expect(204);
  });
});

describe('CSRF', () => {
  it('refuses state-changing requests from another origin, or with a cookie and no Origin', async () => {
    const { res } = await signIn(alice);
    const cookie = cookieSet(res);
    const logout = () => anonymous().post('/api/auth/logout').ca(server.certificate).set('Cookie', cookie);
    expect((await logout().set('Origin', 'https://evil.example').expect(403)).body.message).toMatch(/Cross-site request refused/);
    await logout().expect(403);
    await anonymous().get('/api/auth/me').ca(server.certificate).set('Cookie', cookie).expect(200);
    // Login CSRF: signing a victim into the attacker's account from another site.
    await anonymous().post('/api/auth/login').ca(server.certificate).set('Origin', 'https://evil.example').send({ username: 'alice', authKey: alice.keys.authKey }).expect(403);
  });
});

describe('what the database keeps', () => {
  it('holds no password, no authKey and no private key in clear', async () => {
    const tables = ['users', 'session', 'audit_log', 'login_failures', 'spent_captchas', 'server_secrets'];
    const dump = (await Promise.all(tables.map((t) => sql(server, `SELECT * FROM ${t}`)))).map((rows) => JSON.stringify(rows)).join('\n');
    expect(dump).toContain(alice.userId); // the dump is real
    const pkcs8 = async (key: CryptoKey) => Buffer.from(await globalThis.crypto.subtle.exportKey('pkcs8', key)).toString('base64');
    for (const secret of [alice.password, alice.keys.authKey, await pkcs8(alice.identity.enc.privateKey), await pkcs8(alice.identity.sig.privateKey)]) {
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(secret.slice(0, 24));
    }
    const [user] = await sql<{ auth_hash: string }>(server, 'SELECT auth_hash FROM users WHERE id = $1', [alice.userId]);
    expect(user!.auth_hash).toMatch(/^\$2[aby]\$/);
  });
});

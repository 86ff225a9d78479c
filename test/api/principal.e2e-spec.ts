import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ACCOUNT_DISABLED_MESSAGE, type LoginResponse, PASSWORD_VERIFIER_ID, type MeResponse, type RoomSummary } from '@conclave/contracts';
import { deriveRoomPassword, generateEpochKey, inviteIdFromSecret, inviteVerifier, newInviteSecret, sealVerifier } from '@conclave/crypto';
import { io } from 'socket.io-client';
import request from 'supertest';
import { AdminAccess, AdminPolicy } from '../../apps/api/src/auth/principal/admin.policy.js';
import { AuthenticationGuard } from '../../apps/api/src/auth/principal/authentication.guard.js';
import { AcceptsApiTokens, CurrentPrincipal } from '../../apps/api/src/auth/principal/decorators.js';
import type { Principal } from '../../apps/api/src/auth/principal/principal.js';
import { ContactBookService } from '../../apps/api/src/auth/contacts/contact-book.service.js';
import { SessionLifetime } from '../../apps/api/src/auth/session/session-lifetime.js';
import { ApiTokensService } from '../../apps/api/src/auth/tokens/api-tokens.service.js';
import { User } from '../../apps/api/src/auth/users/user.entity.js';
import { UsersService } from '../../apps/api/src/auth/users/users.service.js';
import { APP_CONFIG } from '../../apps/api/src/config/app-config.js';
import { type Account, browserClient, type Client, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { bearer, makeAdmin, mintApiToken } from '../support/api-tokens.js';
import { sql } from '../support/db.js';
import { createRoom, joinAndAdmit, setRoomPassword } from '../support/membership.js';
import { runScript } from '../support/processes.js';
import { ServerProcess } from '../support/server.js';
import { connect, connected, sessionCookie } from '../support/sockets.js';

const ENV = { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', ROOM_PROBES_PER_ADDRESS_PER_MINUTE: '1000' };
const TOKENS_NOT_HERE = 'API tokens are accepted only on the admin API';
const INVALID_TOKEN = 'This API token is not valid: it is malformed, unknown, revoked or expired, or its creator is no longer an admin';

/** Routes anyone may call (a bearer token there is not looked at): every other route of the document is a user route. */
const PUBLIC_ROUTES = new Set([
  'GET /ping',
  'GET /api/health',
  'GET /api/auth/captcha',
  'GET /api/config',
  'POST /api/auth/register',
  'POST /api/auth/login',
  'POST /api/auth/logout',
  'GET /api/auth/session',
]);

/** A sample of the user routes the document must list, so that the sweep below cannot pass on an empty document. */
const KNOWN_USER_ROUTES = [
  'GET /api/auth/me',
  'POST /api/auth/password',
  'PUT /api/auth/contacts',
  'GET /api/users/{id}/keys',
  'POST /api/rooms',
  'GET /api/rooms/{code}',
  'PUT /api/rooms/{code}/password',
  'POST /api/rooms/{code}/members/{userId}/remove',
  'POST /api/rooms/{code}/invites',
  'PUT /api/rooms/{code}/files/{fileId}',
  'GET /api/files/usage',
];

/** Every table's content (but `except`), as one hash each: what "nothing changed" compares. */
async function databaseState(server: ServerProcess, except: string[] = []): Promise<Record<string, string>> {
  const tables = await sql<{ name: string }>(
    server,
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND NOT tablename = ANY($1::text[]) ORDER BY 1`,
    [except],
  );
  const state: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await sql<{ hash: string }>(server, `SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS hash FROM "${name}" t`);
    state[name] = row!.hash;
  }
  return state;
}

/** `npm run admin -- args` as an operator runs it (the script behind the npm command), with only `env`. */

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('principal: sessions, API tokens, owner and admin policies', () => {
  let server: ServerProcess;
  const people: Record<string, { account: Account; rest: Client }> = {};
  let room: RoomSummary;

  const as = (name: string) => people[name]!.rest;
  const idOf = (name: string) => people[name]!.account.userId;
  const me = async (name: string) => (await as(name).get('/api/auth/me').expect(200)).body as MeResponse;

  beforeAll(async () => {
    server = await ServerProcess.start({ env: ENV });
    for (const name of ['ann', 'ben', 'cat', 'dan', 'eve']) {
      const account = await newAccount(name);
      people[name] = { account, rest: await registeredClient(server, account) };
    }
    await makeAdmin(server, idOf('ann'));
    room = await createRoom(server, { account: people.ann!.account, rest: as('ann') }, { name: 'Principals', history: 'shared' });
    for (const name of ['ben', 'cat']) await joinAndAdmit(server, { account: people[name]!.account, rest: as(name) }, room, { account: people.ann!.account });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  describe('an API token never reaches a user route or a socket', () => {
    it('refuses a valid admin token on every user route of the OpenAPI document with 401, and changes nothing', async () => {
      const token = await mintApiToken(server, idOf('ann'), ['rooms:read', 'rooms:write', 'users:read', 'users:write', 'audit:read', 'metrics:read']);
      const document = (await request(server.origin).get('/api/docs-json').ca(server.certificate).expect(200)).body as { paths: Record<string, Record<string, unknown>> };
      const values: Record<string, string> = { code: room.code, userId: idOf('ben'), id: idOf('ben'), inviteId: randomUUID(), fileId: randomUUID() };
      const before = await databaseState(server);
      const refused: string[] = [];
      for (const [path, operations] of Object.entries(document.paths)) {
        if (path.startsWith('/api/admin/') || path === '/metrics') continue;
        for (const method of Object.keys(operations)) {
          const route = `${method.toUpperCase()} ${path}`;
          if (PUBLIC_ROUTES.has(route)) continue;
          const url = path.replace(/\{(\w+)\}/g, (_all, name: string) => {
            if (!values[name]) throw new Error(`no value for {${name}} in ${route}: add one`);
            return values[name]!;
          });
          const call = request(server.origin)[method as 'get' | 'post' | 'put' | 'delete'](url).ca(server.certificate).set({ ...bearer(token.token), Origin: server.origin });
          const res = method === 'get' ? await call : await call.send({});
          expect({ route, status: res.status, message: res.body.message }).toEqual({ route, status: 401, message: expect.stringContaining(TOKENS_NOT_HERE) });
          refused.push(route);
        }
      }
      expect(refused).toEqual(expect.arrayContaining(KNOWN_USER_ROUTES));
      // Not even looked up: its last use is not recorded.
      expect(await databaseState(server)).toEqual(before);
      expect((await sql(server, `SELECT last_used_at FROM api_tokens WHERE id = $1`, [token.id]))[0]).toEqual({ last_used_at: null });
    });

    it("refuses a token sent beside a live session (the session does not carry the token through)", async () => {
      const token = await mintApiToken(server, idOf('ann'), ['users:read']);
      const cookie = await sessionCookie(server, people.ann!.account);
      const res = await request(server.origin).get('/api/auth/me').ca(server.certificate).set({ ...bearer(token.token), Cookie: cookie }).expect(401);
      expect(res.body.message).toContain(TOKENS_NOT_HERE);
    });

    it('refuses a socket.io connection that carries only a bearer token', async () => {
      const token = await mintApiToken(server, idOf('ann'), ['rooms:read', 'metrics:read']);
      const socket = io(server.origin, {
        transports: ['websocket'],
        ca: server.certificate.toString(),
        extraHeaders: { Origin: server.origin, ...bearer(token.token) },
        reconnection: false,
        forceNew: true,
      });
      try {
        await expect(connected(socket)).rejects.toThrow('unauthorized: sign in first');
      } finally {
        socket.disconnect();
      }
    });
  });

  describe('ApiTokensService behind AuthenticationGuard on a token-accepting route', () => {
    // No admin route exists on this branch: a probe route marked as the admin API's are, served in
    // this process by the real guard, policy and token service on the running server's database.
    @Controller('probe')
    class ProbeController {
      @Get()
      @AcceptsApiTokens()
      @AdminAccess('rooms:read')
      probe(@CurrentPrincipal() principal: Principal) {
        return principal;
      }
    }

    let app: INestApplication;
    const probe = (authorization: string) => request(app.getHttpServer()).get('/probe').set('Authorization', authorization);
    const expectRefused = async (authorization: string, message = INVALID_TOKEN) => {
      const res = await probe(authorization);
      expect({ status: res.status, message: res.body.message }).toEqual({ status: 401, message });
    };

    beforeAll(async () => {
      @Module({
        imports: [TypeOrmModule.forRoot({ type: 'postgres', url: server.embeddedDatabaseUrl(), entities: [User] }), TypeOrmModule.forFeature([User])],
        controllers: [ProbeController],
        providers: [
          { provide: APP_CONFIG, useValue: { auth: { sessionMaxSeconds: 3600 } } },
          SessionLifetime,
          ContactBookService,
          UsersService,
          ApiTokensService,
          { provide: APP_GUARD, useClass: AuthenticationGuard },
          { provide: APP_GUARD, useClass: AdminPolicy },
        ],
      })
      class ProbeModule {}
      app = await NestFactory.create(ProbeModule, { logger: false });
      await app.init();
    });
    afterAll(() => app?.close());

    it('accepts a valid token of an enabled admin, with its scopes, and records its use', async () => {
      const token = await mintApiToken(server, idOf('ann'), ['rooms:read']);
      const res = await probe(`Bearer ${token.token}`).expect(200);
      expect(res.body).toEqual({ kind: 'token', tokenId: token.id, scopes: ['rooms:read'], createdBy: idOf('ann') });
      expect((await sql(server, `SELECT last_used_at IS NOT NULL AS used FROM api_tokens WHERE id = $1`, [token.id]))[0]).toEqual({ used: true });
    });

    it('refuses a malformed header or token', async () => {
      const token = await mintApiToken(server, idOf('ann'), ['rooms:read']);
      // Another scheme is not a token (a proxy's Basic credentials): the request is judged as if it had none.
      await expectRefused(`Basic ${Buffer.from('ann:secret').toString('base64')}`, 'Sign in first');
      await expectRefused('Bearer', 'The Authorization header must be "Bearer cnk_…"');
      await expectRefused('Bearer not-a-token');
      await expectRefused(`Bearer ${token.token.replace('cnk_', 'cnx_')}`);
      await expectRefused(`Bearer ${token.token}extra`);
    });

    it('refuses an unknown token, and a known id with the wrong secret', async () => {
      const token = await mintApiToken(server, idOf('ann'), ['rooms:read']);
      await expectRefused(`Bearer cnk_${randomUUID().replaceAll('-', '')}_${randomBytes(32).toString('base64url')}`);
      await expectRefused(`Bearer cnk_${token.id.replaceAll('-', '')}_${randomBytes(32).toString('base64url')}`);
    });

    it('refuses a revoked token and an expired one', async () => {
      await expectRefused(`Bearer ${(await mintApiToken(server, idOf('ann'), ['rooms:read'], { revoked: true })).token}`);
      await expectRefused(`Bearer ${(await mintApiToken(server, idOf('ann'), ['rooms:read'], { expiresAt: new Date(Date.now() - 1000) })).token}`);
    });

    it('refuses the token of a creator who is no longer an admin, or whose account is disabled, and accepts it again once they are back', async () => {
      const token = await mintApiToken(server, idOf('ann'), ['rooms:read']);
      await makeAdmin(server, idOf('ann'), false);
      try {
        await expectRefused(`Bearer ${token.token}`);
      } finally {
        await makeAdmin(server, idOf('ann'));
      }
      await sql(server, `UPDATE users SET disabled_at = now() WHERE id = $1`, [idOf('ann')]);
      try {
        await expectRefused(`Bearer ${token.token}`);
      } finally {
        await sql(server, `UPDATE users SET disabled_at = NULL WHERE id = $1`, [idOf('ann')]);
      }
      await probe(`Bearer ${token.token}`).expect(200);
    });

    it('refuses a token without the route\'s scope with 403 (AdminPolicy)', async () => {
      const token = await mintApiToken(server, idOf('ann'), ['users:read']);
      expect((await probe(`Bearer ${token.token}`).expect(403)).body.message).toBe('This API token lacks the "rooms:read" scope');
    });
  });

  describe('the room owner policy', () => {
    it("refuses a member who is not the owner with 403 and the route's message, and changes nothing", async () => {
      // A session's expiry moves at every request it makes (rolling sessions): the rest must not change.
      const state = () => databaseState(server, ['session']);
      const before = await state();
      const keys = await deriveRoomPassword('not the owner', room.code);
      const sealed = await sealVerifier({ roomId: room.id, epoch: 1, epochKey: await generateEpochKey(), verifierId: PASSWORD_VERIFIER_ID, verifier: keys.admitKey });
      for (const body of [{ joinKey: keys.joinKey, sealed }, { joinKey: 'malformed', sealed: {} }]) {
        // The policy answers before the body is even validated.
        expect((await as('ben').put(`/api/rooms/${room.code}/password`, body).expect(403)).body.message).toBe('Only the room owner can set its password');
      }
      expect((await as('ben').post(`/api/rooms/${room.code}/members/${idOf('cat')}/remove`).expect(403)).body.message).toBe('Only the room owner can remove members');
      expect((await as('ben').post(`/api/rooms/${room.code}/members/${idOf('ann')}/remove`).expect(403)).body.message).toBe('Only the room owner can remove members');
      expect(await state()).toEqual(before);
    });

    it('answers someone who is not a member as for an unknown code (404), not 403', async () => {
      expect((await as('dan').post(`/api/rooms/${room.code}/members/${idOf('cat')}/remove`).expect(404)).body.message).toBe(`No room with code ${room.code} among your rooms`);
      await as('dan').put(`/api/rooms/${room.code}/password`, { joinKey: 'A'.repeat(43), sealed: { epoch: 1, iv: 'A'.repeat(16), ct: 'A'.repeat(43) } }).expect(404);
    });

    it('lets the owner set the password (204) and remove a member (204): invites revoked, rotation pending, audited with the owner as actor', async () => {
      // Sealed under a key no member holds: this suite checks who may call, not how browsers admit.
      const epochKey = await generateEpochKey();
      await setRoomPassword(as('ann'), room, 'owner only', { epoch: 1, epochKey });
      const secret = newInviteSecret();
      const inviteId = await inviteIdFromSecret(secret);
      const sealed = await sealVerifier({ roomId: room.id, epoch: 1, epochKey, verifierId: inviteId, verifier: await inviteVerifier(secret) });
      await as('ben').post(`/api/rooms/${room.code}/invites`, { id: inviteId, expiresAt: new Date(Date.now() + 86_400_000).toISOString(), maxUses: 1, sealed }).expect(201);
      await as('ann').post(`/api/rooms/${room.code}/members/${idOf('cat')}/remove`).expect(204);
      expect(await sql(server, `SELECT user_id FROM room_members WHERE room_id = $1 ORDER BY joined_at`, [room.id])).toEqual([{ user_id: idOf('ann') }, { user_id: idOf('ben') }]);
      expect(await sql(server, `SELECT rotation_pending FROM rooms WHERE id = $1`, [room.id])).toEqual([{ rotation_pending: true }]);
      expect(await sql(server, `SELECT count(*)::int AS open FROM room_invites WHERE room_id = $1 AND revoked_at IS NULL`, [room.id])).toEqual([{ open: 0 }]);
      expect(await sql(server, `SELECT actor_id, details FROM audit_log WHERE event = 'room.member_removed' AND details ->> 'memberId' = $1`, [idOf('cat')])).toEqual([
        { actor_id: idOf('ann'), details: { roomId: room.id, memberId: idOf('cat'), by: 'owner' } },
      ]);
      // The owner removes others; leaving is how they go themselves.
      expect((await as('ann').post(`/api/rooms/${room.code}/members/${idOf('ann')}/remove`).expect(400)).body.message).toBe('Leave the room rather than removing yourself');
    });
  });

  describe('a disabled account', () => {
    it('loses its socket handshake and its live session (401 with the reason), and cannot sign in with the right password (403)', async () => {
      const dan = people.dan!.account;
      const cookie = await sessionCookie(server, dan);
      const client = browserClient(server);
      await client.post('/api/auth/login', { username: dan.username, authKey: dan.keys.authKey }).expect(200);
      await sql(server, `UPDATE users SET disabled_at = now() WHERE id = $1`, [dan.userId]);

      const socket = connect(server, cookie);
      try {
        await expect(connected(socket)).rejects.toThrow('unauthorized: sign in first');
      } finally {
        socket.disconnect();
      }
      expect((await client.get('/api/auth/me').expect(401)).body.message).toBe(ACCOUNT_DISABLED_MESSAGE);
      // That session is over: the next request is simply signed out.
      expect((await client.get('/api/auth/me').expect(401)).body.message).toBe('Sign in first');
      expect((await client.post('/api/auth/login', { username: dan.username, authKey: dan.keys.authKey }).expect(403)).body.message).toBe(ACCOUNT_DISABLED_MESSAGE);
      // A wrong password is answered as for anyone: being disabled is told only to who knows the password.
      const wrong = (await newAccount('dan', 'not the password')).keys.authKey;
      expect((await client.post('/api/auth/login', { username: dan.username, authKey: wrong }).expect(401)).body.message).toBe('Wrong username or password');

      await sql(server, `UPDATE users SET disabled_at = NULL WHERE id = $1`, [dan.userId]);
      await client.post('/api/auth/login', { username: dan.username, authKey: dan.keys.authKey }).expect(200);
    });
  });

  describe('users.last_seen_at', () => {
    const lastSeen = async () => (await sql<{ at: Date | null }>(server, `SELECT last_seen_at AS at FROM users WHERE id = $1`, [idOf('eve')]))[0]!.at;
    const longAgo = () => sql(server, `UPDATE users SET last_seen_at = '2001-01-01' WHERE id = $1`, [idOf('eve')]);
    const recent = (at: Date | null) => at !== null && at.getTime() > Date.parse('2020-01-01');

    it('is written at sign-in, when a socket connects and when it disconnects', async () => {
      await longAgo();
      const cookie = await sessionCookie(server, people.eve!.account);
      expect(recent(await lastSeen())).toBe(true);

      await longAgo();
      const socket = connect(server, cookie);
      await connected(socket);
      await until(lastSeen, recent, 'last seen after connecting');

      await longAgo();
      socket.disconnect();
      await until(lastSeen, recent, 'last seen after disconnecting');
    });
  });

  describe('npm run admin, against the running server', () => {
    const admin = (...args: string[]) => runScript('admin', args, { DATA_DIR: server.dataDir });
    const audits = (event: string) => sql(server, `SELECT actor_id, target, details FROM audit_log WHERE event = $1 AND details ->> 'by' = 'cli' ORDER BY id`, [event]);

    it('grants, while the server runs: the signed-in user is an admin at their next request, audited', async () => {
      const granted = await admin('grant', 'ben');
      expect(granted).toEqual({ code: 0, output: expect.stringContaining('conclave admin: ben is now a site admin') });
      expect(await me('ben')).toMatchObject({ username: 'ben', admin: true });
      expect(await audits('admin.granted')).toEqual([{ actor_id: null, target: idOf('ben'), details: { by: 'cli', username: 'ben' } }]);

      // Again: nothing to do, said so, not audited twice (names are case-insensitive, as usernames are).
      expect(await admin('grant', 'BEN')).toEqual({ code: 0, output: expect.stringContaining('ben is already a site admin') });
      expect(await audits('admin.granted')).toHaveLength(1);
    }, 120_000);

    it('lists the site admins', async () => {
      expect(await admin('list')).toEqual({ code: 0, output: expect.stringContaining('conclave admin: 2 site admins: ann, ben') });
    }, 60_000);

    it('revokes: the user is no longer an admin, their API tokens are revoked, audited', async () => {
      const bens = await mintApiToken(server, idOf('ben'), ['rooms:read']);
      expect(await admin('revoke', 'ben')).toEqual({ code: 0, output: expect.stringContaining('conclave admin: ben is no longer a site admin (the API tokens they created are revoked)') });
      expect((await sql<{ revoked: boolean }>(server, `SELECT revoked_at IS NOT NULL AS revoked FROM api_tokens WHERE id = $1`, [bens.id]))[0]?.revoked).toBe(true);
      expect(await me('ben')).toMatchObject({ admin: false });
      expect(await audits('admin.revoked')).toEqual([{ actor_id: null, target: idOf('ben'), details: { by: 'cli', username: 'ben' } }]);
      expect(await admin('revoke', 'ben')).toEqual({ code: 0, output: expect.stringContaining('ben is not a site admin') });
      expect(await audits('admin.revoked')).toHaveLength(1);
    }, 120_000);

    it('refuses an unknown user and bad usage with exit code 1 and one line, changing nothing', async () => {
      const before = await databaseState(server);
      for (const [args, message] of [
        [['grant', 'nobody'], 'conclave admin: there is no account named "nobody"'],
        [['revoke', 'nobody'], 'conclave admin: there is no account named "nobody"'],
        [['grant', 'Not A Name!'], 'conclave admin: "Not A Name!" is not a username'],
        [[], 'conclave admin: usage: npm run admin -- grant NAME | revoke NAME | list'],
        [['grant'], 'conclave admin: usage: npm run admin -- grant NAME | revoke NAME | list'],
        [['grant', 'ben', 'cat'], 'conclave admin: usage: npm run admin -- grant NAME | revoke NAME | list'],
        [['promote', 'ben'], 'conclave admin: usage: npm run admin -- grant NAME | revoke NAME | list'],
        [['list', 'ben'], 'conclave admin: usage: npm run admin -- grant NAME | revoke NAME | list'],
      ] as const) {
        const result = await admin(...args);
        expect({ args, code: result.code, output: result.output }).toEqual({ args, code: 1, output: expect.stringContaining(message) });
      }
      expect(await databaseState(server)).toEqual(before);
    }, 300_000);
  });
});

describe('ADMIN_USERNAMES', () => {
  let server: ServerProcess | undefined;
  const accounts: Record<string, Account> = {};

  afterAll(async () => {
    await server?.stop();
  });

  const signIn = async (name: string) => {
    const client = browserClient(server!);
    const login = (await client.post('/api/auth/login', { username: name, authKey: accounts[name]!.keys.authKey }).expect(200)).body as LoginResponse;
    return { client, login };
  };
  const adminOf = async (name: string) => ((await (await signIn(name)).client.get('/api/auth/me').expect(200)).body as MeResponse).admin;
  const grants = (username: string) =>
    sql(server!, `SELECT actor_id, details FROM audit_log WHERE event = 'admin.granted' AND details ->> 'username' = $1 ORDER BY id`, [username]);

  it('bootstraps admins: a named account at start unless an admin revoked it, a named newcomer at registration only while there is no admin, and never revokes', async () => {
    // A fresh deployment has no admin: the named username becomes one the moment it registers.
    server = await ServerProcess.start({ env: { ...ENV, ADMIN_USERNAMES: 'kim' } });
    for (const name of ['kim', 'fay', 'gus', 'hal', 'ivy']) accounts[name] = await newAccount(name);
    await registeredClient(server, accounts.kim!);
    expect((await signIn('kim')).login.admin).toBe(true);
    expect(await grants('kim')).toEqual([{ actor_id: null, details: { by: 'ADMIN_USERNAMES', username: 'kim' } }]);
    for (const name of ['fay', 'gus']) await registeredClient(server, accounts[name]!);
    expect(await adminOf('fay')).toBe(false);
    await server.stop();

    // Names are matched whatever their case and spacing in the setting; a named username nobody has is warned about.
    server = await ServerProcess.start({ dataDir: server.dataDir, env: { ...ENV, ADMIN_USERNAMES: ' Fay , hal' } });
    expect(await adminOf('fay')).toBe(true);
    expect(await adminOf('gus')).toBe(false);
    expect(await grants('fay')).toEqual([{ actor_id: null, details: { by: 'ADMIN_USERNAMES', username: 'fay' } }]);
    expect(server.stdout).toMatch(/ADMIN_USERNAMES names \\?"hal\\?", which nobody has registered/);

    // The deployment has admins now: registering a named username makes nobody an admin (a stranger could have taken the name).
    await registeredClient(server, accounts.hal!);
    expect((await signIn('hal')).login.admin).toBe(false);
    expect(await grants('hal')).toEqual([]);
    await registeredClient(server, accounts.ivy!);
    expect(await adminOf('ivy')).toBe(false);
    // An admin revokes fay explicitly (the CLI, as the API does).
    expect(await runScript('admin', ['revoke', 'fay'], { DATA_DIR: server.dataDir })).toMatchObject({ code: 0 });
    await server.stop();

    // Restarted with the same list: hal (now registered, never revoked) is granted; fay's revocation stands; nothing is audited twice.
    server = await ServerProcess.start({ dataDir: server.dataDir, env: { ...ENV, ADMIN_USERNAMES: 'fay,hal' } });
    expect(await adminOf('hal')).toBe(true);
    expect(await adminOf('fay')).toBe(false);
    expect(await grants('fay')).toHaveLength(1);
    expect(await grants('hal')).toHaveLength(1);
    await server.stop();
    // Without the list: nobody is revoked.
    server = await ServerProcess.start({ dataDir: server.dataDir, env: ENV });
    expect(await adminOf('kim')).toBe(true);
    expect(await adminOf('hal')).toBe(true);
    expect(await adminOf('gus')).toBe(false);
  }, 300_000);
});

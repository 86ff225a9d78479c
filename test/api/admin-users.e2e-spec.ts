import { createHash, randomUUID } from 'node:crypto';
import {
  ADMIN_API_PREFIX,
  ADMIN_PATHS,
  API_TOKEN_PATTERN,
  type AdminUserDetail,
  type AdminUserSummary,
  type ApiTokenScope,
  type ApiTokenSummary,
  AUTH_PATHS,
  type AuditRecord,
  type CreatedApiToken,
  type Page,
} from '@conclave/contracts';
import type { Socket } from 'socket.io-client';
import request from 'supertest';
import { type Account, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { bearer, makeAdmin, mintApiToken } from '../support/api-tokens.js';
import { sql } from '../support/db.js';
import { createRoom } from '../support/membership.js';
import { type OpenApiDocument, ResponseConformance } from '../support/openapi.js';
import { ServerProcess } from '../support/server.js';
import { CHAT_EVENTS, connect, connected, next, sessionCookie } from '../support/sockets.js';

type Method = 'get' | 'post' | 'put' | 'delete';
type Path = (typeof ADMIN_PATHS)[keyof typeof ADMIN_PATHS];

let server: ServerProcess;
let conformance: ResponseConformance;
let documentPaths: OpenApiDocument['paths'];
const NAMES = ['root', 'ops', 'alice', 'bob', 'carol', 'dave', 'erin'] as const;
const accounts = {} as Record<(typeof NAMES)[number], Account>;
/** root's session cookie: the admin who runs most of this suite. */
let root: string;
const sockets: Socket[] = [];

/** A route of ADMIN_PATHS with its parameters filled in, under the prefix. */
function url(path: Path, params: Record<string, string> = {}, query: Record<string, string | number> = {}): string {
  const filled = path.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(params[name] ?? `:${name}`));
  const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  return `/${ADMIN_API_PREFIX}/${filled}${search ? `?${search}` : ''}`;
}

/** The path as the OpenAPI document names it: /api/admin/v1/users/{userId}. */
const documented = (path: Path) => `/${ADMIN_API_PREFIX}/${path.replace(/:(\w+)/g, '{$1}')}`;

/** A request as a browser with this session cookie sends it (Origin included), or as curl sends one with a bearer token, or with nothing. */
function call(method: Method, path: string, who: { cookie: string } | { token: string } | 'anonymous', body?: object): request.Test {
  let test = request(server.origin)[method](path).ca(server.certificate);
  if (who !== 'anonymous' && 'cookie' in who) test = test.set('Cookie', who.cookie).set('Origin', server.origin);
  if (who !== 'anonymous' && 'token' in who) test = test.set(bearer(who.token));
  return body === undefined ? test : test.send(body);
}

/** Calls as `who`, expects `status`, and checks the body against the schema the document gives that answer. */
async function conforming<T>(method: Method, path: Path, who: Parameters<typeof call>[2], status: number, options: { params?: Record<string, string>; query?: Record<string, string | number>; body?: object } = {}): Promise<T> {
  const res = await call(method, url(path, options.params, options.query), who, options.body).expect(status);
  conformance.check(method, documented(path), status, res.body);
  return res.body as T;
}

const session = (cookie: string) => ({ cookie });
const token = (value: string) => ({ token: value });
const sha256 = (text: string) => createHash('sha256').update(text).digest();

async function signIn(account: Account): Promise<string> {
  return sessionCookie(server, account);
}

async function auditOf(filter: { event?: string; target?: string }): Promise<Array<{ event: string; actor_id: string | null; token_id: string | null; target: string | null; details: Record<string, unknown> }>> {
  return sql(server, `SELECT event, actor_id, token_id, target, details FROM audit_log WHERE ($1::text IS NULL OR event = $1) AND ($2::text IS NULL OR target = $2) ORDER BY id`, [
    filter.event ?? null,
    filter.target ?? null,
  ]);
}

async function userRow(userId: string) {
  const [row] = await sql<{ is_admin: boolean; disabled_at: Date | null; sessions: number }>(
    server,
    `SELECT is_admin, disabled_at, (SELECT count(*)::int FROM session WHERE sess ->> 'userId' = $1::text) AS sessions FROM users WHERE id = $1::uuid`,
    [userId],
  );
  return row!;
}

/** An open, signed-in socket of `account` and the promises of its session ending and its closing. */
async function openSocket(cookie: string) {
  const socket = connect(server, cookie);
  sockets.push(socket);
  await connected(socket);
  const ended = next(socket, CHAT_EVENTS.sessionEnded, undefined, 15_000);
  const closed = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
  return { socket, ended, closed };
}

beforeAll(async () => {
  const env = { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', LOGIN_MAX_FAILURES: '1000', ADMIN_RATE_LIMIT_PER_MINUTE: '100000' };
  const [started, ...made] = await Promise.all([ServerProcess.start({ env }), ...NAMES.map((name) => newAccount(name))]);
  server = started;
  NAMES.forEach((name, i) => (accounts[name] = made[i]!));
  for (const name of NAMES.filter((n) => n !== 'erin')) await registeredClient(server, accounts[name]);
  await makeAdmin(server, accounts.root.userId);
  await makeAdmin(server, accounts.ops.userId);
  root = await signIn(accounts.root);
  const document = (await request(server.origin).get('/api/docs-json').ca(server.certificate).expect(200)).body as OpenApiDocument;
  conformance = new ResponseConformance(document);
  documentPaths = document.paths;
});

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await server?.stop();
});

describe('the OpenAPI document', () => {
  const routes: Array<[Method, Path, string]> = [
    ['get', ADMIN_PATHS.users, 'admin: users'],
    ['get', ADMIN_PATHS.user, 'admin: users'],
    ['post', ADMIN_PATHS.userDisable, 'admin: users'],
    ['post', ADMIN_PATHS.userEnable, 'admin: users'],
    ['delete', ADMIN_PATHS.userSessions, 'admin: users'],
    ['put', ADMIN_PATHS.userAdmin, 'admin: users'],
    ['get', ADMIN_PATHS.tokens, 'admin: tokens'],
    ['post', ADMIN_PATHS.tokens, 'admin: tokens'],
    ['delete', ADMIN_PATHS.token, 'admin: tokens'],
    ['get', ADMIN_PATHS.audit, 'admin: audit'],
  ];

  it.each(routes)('documents %s %s: tag, bearer scheme, and its errors in the {statusCode, error, message} shape', (method, path, tag) => {
    const operation = documentPaths[documented(path)]?.[method] as {
      tags?: string[];
      security?: unknown[];
      parameters?: Array<{ name: string; description?: string }>;
      responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
    };
    expect(operation).toBeDefined();
    expect(operation.tags).toEqual([tag]);
    expect(operation.security).toEqual(expect.arrayContaining([{ 'api-token': [] }, { session: [] }]));
    expect((operation.parameters ?? []).filter((p) => !p.description).map((p) => p.name)).toEqual([]);
    for (const status of ['401', '403', '429']) expect(operation.responses[status]?.content?.['application/json']?.schema?.$ref).toBe('#/components/schemas/ErrorBodyDto');
  });
});

describe('API tokens', () => {
  it('are made by an admin session, shown once, hashed at rest, used as Bearer on a users:read route, and stop working once revoked', async () => {
    const expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const created = await conforming<CreatedApiToken>('post', ADMIN_PATHS.tokens, session(root), 201, { body: { name: ' CI provisioning ', scopes: ['users:read', 'audit:read'], expiresAt } });
    expect(created).toMatchObject({ name: 'CI provisioning', scopes: ['users:read', 'audit:read'], expiresAt, createdBy: { id: accounts.root.userId, username: 'root' }, active: true, revokedAt: null, lastUsedAt: null });
    const [, hexId, secret] = API_TOKEN_PATTERN.exec(created.token)!;
    expect(hexId).toBe(created.id.replaceAll('-', ''));

    // Only the hash of the secret is stored; the list never shows a token again.
    const [row] = await sql<{ secret_sha256: Buffer }>(server, `SELECT secret_sha256 FROM api_tokens WHERE id = $1`, [created.id]);
    expect(row!.secret_sha256.equals(sha256(secret!))).toBe(true);
    const dump = JSON.stringify(await sql(server, `SELECT * FROM api_tokens`));
    expect(dump).not.toContain(secret);
    const list = await conforming<ApiTokenSummary[]>('get', ADMIN_PATHS.tokens, session(root), 200);
    expect(list.find((t) => t.id === created.id)).toEqual({ ...created, token: undefined });
    expect(JSON.stringify(list)).not.toContain(secret);

    // Used with its scope: last use noted, then not written again within the minute.
    const page = await call('get', url(ADMIN_PATHS.users), token(created.token)).expect(200);
    expect(page.headers['x-ratelimit-limit']).toBe('100000');
    const [first] = await sql<{ last_used_at: Date; last_used_ip: string }>(server, `SELECT last_used_at, host(last_used_ip) AS last_used_ip FROM api_tokens WHERE id = $1`, [created.id]);
    expect(first!.last_used_at).toBeInstanceOf(Date);
    expect(first!.last_used_ip).toMatch(/127\.0\.0\.1|::1/);
    await call('get', url(ADMIN_PATHS.users), token(created.token)).expect(200);
    const [second] = await sql<{ last_used_at: Date }>(server, `SELECT last_used_at FROM api_tokens WHERE id = $1`, [created.id]);
    expect(second!.last_used_at.getTime()).toBe(first!.last_used_at.getTime());
    const shown = (await conforming<ApiTokenSummary[]>('get', ADMIN_PATHS.tokens, session(root), 200)).find((t) => t.id === created.id)!;
    expect(shown.lastUsedAt).toBe(first!.last_used_at.toISOString());
    expect(shown.lastUsedIp).toBe(first!.last_used_ip);

    const revoked = await conforming<ApiTokenSummary>('delete', ADMIN_PATHS.token, session(root), 200, { params: { tokenId: created.id } });
    expect(revoked).toMatchObject({ id: created.id, active: false, revokedAt: expect.any(String) });
    const refused = await call('get', url(ADMIN_PATHS.users), token(created.token)).expect(401);
    expect(refused.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.stringMatching(/^This API token is not valid/) });
    // Revoking again changes nothing (not even revokedAt) and is not audited twice.
    expect(await conforming<ApiTokenSummary>('delete', ADMIN_PATHS.token, session(root), 200, { params: { tokenId: created.id } })).toEqual(revoked);

    const audit = await auditOf({ target: created.id });
    expect(audit.map((r) => r.event).filter((e) => e.startsWith('token.'))).toEqual(['token.created', 'token.revoked']);
    expect(audit.find((r) => r.event === 'token.created')).toMatchObject({
      actor_id: accounts.root.userId,
      token_id: null,
      details: { name: 'CI provisioning', scopes: 'users:read audit:read', expiresAt },
    });
    expect(JSON.stringify(await sql(server, `SELECT * FROM audit_log`))).not.toContain(secret);
  });

  it('answers 404 for an unknown token and 400 for a malformed id', async () => {
    const unknown = await call('delete', url(ADMIN_PATHS.token, { tokenId: randomUUID() }), session(root)).expect(404);
    expect(unknown.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'No API token has this id' });
    const malformed = await call('delete', url(ADMIN_PATHS.token, { tokenId: 'cnk_1' }), session(root)).expect(400);
    expect(malformed.body.message).toBe('tokenId must be a UUID');
  });

  it.each([
    ['no name', { name: '' }, 'name must not be empty'],
    ['no scopes', { scopes: [] }, 'scopes must be a non-empty list of distinct scopes from: rooms:read, rooms:write, users:read, users:write, audit:read, metrics:read'],
    ['an unknown scope', { scopes: ['users:read', 'root'] }, 'scopes: "root" is not a scope (rooms:read, rooms:write, users:read, users:write, audit:read, metrics:read)'],
    ['a repeated scope', { scopes: ['users:read', 'users:read'] }, 'scopes must not name a scope twice'],
    ['an expiry in the past', { expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt must be in the future'],
    ['an expiry beyond a year', { expiresAt: new Date(Date.now() + 366 * 86_400_000).toISOString() }, 'expiresAt must be at most 365 days from now'],
    ['no expiry', { expiresAt: undefined }, 'expiresAt must be an ISO 8601 date-time with its zone (e.g. 2026-01-31T12:00:00Z) or a date (2026-01-31)'],
  ])('refuses a token with %s (400, nothing made)', async (_what, change, message) => {
    const before = await sql(server, `SELECT count(*)::int AS n FROM api_tokens`);
    const body = { name: 'bad', scopes: ['users:read'], expiresAt: new Date(Date.now() + 86_400_000).toISOString(), ...change };
    const res = await call('post', url(ADMIN_PATHS.tokens), session(root), body).expect(400);
    expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: [message] });
    expect(await sql(server, `SELECT count(*)::int AS n FROM api_tokens`)).toEqual(before);
  });

  it('refuses an expired token, and a token whose creator is no longer an admin (401)', async () => {
    const expired = await mintApiToken(server, accounts.root.userId, ['users:read'], { expiresAt: new Date(Date.now() - 1000) });
    await call('get', url(ADMIN_PATHS.users), token(expired.token)).expect(401);

    const ops = await mintApiToken(server, accounts.ops.userId, ['users:read']);
    await call('get', url(ADMIN_PATHS.users), token(ops.token)).expect(200);
    await conforming<AdminUserDetail>('put', ADMIN_PATHS.userAdmin, session(root), 200, { params: { userId: accounts.ops.userId }, body: { admin: false } });
    await call('get', url(ADMIN_PATHS.users), token(ops.token)).expect(401);
    // Revoked with the admin right, for good: made admin again, ops does not get the old token back.
    const listed = (await call('get', url(ADMIN_PATHS.tokens), session(root)).expect(200)).body as ApiTokenSummary[];
    expect(listed.find((t) => t.id === ops.id)).toMatchObject({ active: false, revokedAt: expect.any(String) });
    await makeAdmin(server, accounts.ops.userId);
    await call('get', url(ADMIN_PATHS.users), token(ops.token)).expect(401);
  });

  it('can never manage tokens or admins (403, nothing changed), nor reach a user route (401)', async () => {
    const every = await mintApiToken(server, accounts.root.userId, ['rooms:read', 'rooms:write', 'users:read', 'users:write', 'audit:read', 'metrics:read']);
    const tokensBefore = await sql(server, `SELECT id, revoked_at FROM api_tokens ORDER BY id`);
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    for (const [method, path, body] of [
      ['get', url(ADMIN_PATHS.tokens), undefined],
      ['post', url(ADMIN_PATHS.tokens), { name: 'wider', scopes: ['users:write'], expiresAt }],
      ['delete', url(ADMIN_PATHS.token, { tokenId: every.id }), undefined],
      ['put', url(ADMIN_PATHS.userAdmin, { userId: accounts.dave.userId }), { admin: true }],
    ] as const) {
      const res = await call(method, path, token(every.token), body).expect(403);
      expect(res.body.message).toBe('This needs an admin signed in with a session: API tokens cannot manage tokens or admins');
    }
    expect(await sql(server, `SELECT id, revoked_at FROM api_tokens ORDER BY id`)).toEqual(tokensBefore);
    expect((await userRow(accounts.dave.userId)).is_admin).toBe(false);

    for (const path of ['/api/rooms', AUTH_PATHS.me, '/api/users/' + accounts.alice.userId + '/keys']) {
      const res = await call('get', path, token(every.token)).expect(401);
      expect(res.body.message).toMatch(/^API tokens are accepted only on the admin API/);
    }
  });
});

describe('refusals change nothing', () => {
  let userCookie: string;
  let narrow: string;
  const target = () => accounts.dave.userId;

  beforeAll(async () => {
    userCookie = await signIn(accounts.dave);
    narrow = (await mintApiToken(server, accounts.root.userId, ['rooms:read', 'metrics:read'])).token;
  });

  const routes = (): Array<[Method, string, object | undefined, ApiTokenScope | 'admin-session']> => [
    ['get', url(ADMIN_PATHS.users), undefined, 'users:read'],
    ['get', url(ADMIN_PATHS.user, { userId: target() }), undefined, 'users:read'],
    ['post', url(ADMIN_PATHS.userDisable, { userId: target() }), undefined, 'users:write'],
    ['post', url(ADMIN_PATHS.userEnable, { userId: target() }), undefined, 'users:write'],
    ['delete', url(ADMIN_PATHS.userSessions, { userId: target() }), undefined, 'users:write'],
    ['put', url(ADMIN_PATHS.userAdmin, { userId: target() }), { admin: true }, 'admin-session'],
    ['get', url(ADMIN_PATHS.tokens), undefined, 'admin-session'],
    ['post', url(ADMIN_PATHS.tokens), { name: 'x', scopes: ['users:read'], expiresAt: new Date(Date.now() + 86_400_000).toISOString() }, 'admin-session'],
    ['delete', url(ADMIN_PATHS.token, { tokenId: randomUUID() }), undefined, 'admin-session'],
    ['get', url(ADMIN_PATHS.audit), undefined, 'audit:read'],
  ];

  it('anonymous: 401; a user who is not an admin: 403; a token without the scope: 403', async () => {
    const state = async () => ({
      user: await userRow(target()),
      tokens: await sql(server, `SELECT id, revoked_at FROM api_tokens ORDER BY id`),
      events: await sql(server, `SELECT count(*)::int AS n FROM audit_log WHERE event <> 'admin.call' AND event <> 'admin.token_refused'`),
    });
    const before = await state();
    for (const [method, path, body, access] of routes()) {
      const anonymous = await call(method, path, 'anonymous', body).expect(401);
      expect(anonymous.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Sign in first' });
      const user = await call(method, path, session(userCookie), body).expect(403);
      expect(user.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'Only site admins may use the admin API' });
      const scoped = await call(method, path, token(narrow), body).expect(403);
      expect(scoped.body.message).toBe(
        access === 'admin-session' ? 'This needs an admin signed in with a session: API tokens cannot manage tokens or admins' : `This API token lacks the "${access}" scope`,
      );
    }
    expect(await state()).toEqual(before);
    expect(before.user).toMatchObject({ is_admin: false, disabled_at: null });
    expect(before.user.sessions).toBeGreaterThan(0);
  });
});

describe('users', () => {
  const pageNames = ['page.a', 'page.b', 'page_c', 'page-d', 'page0', 'page1', 'pagez'];

  beforeAll(async () => {
    // Accounts for paging only (they never sign in): rows as registration writes them.
    for (const username of pageNames) {
      await sql(server, `INSERT INTO users (id, username, auth_hash, enc_public_key, sig_public_key, key_backup) SELECT $1, $2, auth_hash, enc_public_key, sig_public_key, key_backup FROM users WHERE id = $3`, [
        randomUUID(),
        username,
        accounts.dave.userId,
      ]);
    }
  });

  it('lists by username in keyset pages, with a username-prefix search', async () => {
    const walked: AdminUserSummary[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: Record<string, string | number> = { limit: 3, q: 'PAGE' };
      if (cursor) query.cursor = cursor;
      const page: Page<AdminUserSummary> = await conforming('get', ADMIN_PATHS.users, session(root), 200, { query });
      expect(page.items.length).toBeLessThanOrEqual(3);
      walked.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    // Bytewise order of [a-z0-9_.-]: '-' < '.' < digits < '_' < letters.
    expect(walked.map((u) => u.username)).toEqual(['page-d', 'page.a', 'page.b', 'page0', 'page1', 'page_c', 'pagez']);
    expect(pages).toBe(3);

    const all = await conforming<Page<AdminUserSummary>>('get', ADMIN_PATHS.users, session(root), 200);
    expect(all.nextCursor).toBeNull();
    expect(all.items.map((u) => u.username)).toEqual([...all.items.map((u) => u.username)].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    const listed = all.items.find((u) => u.username === 'root')!;
    expect(listed).toMatchObject({ id: accounts.root.userId, username: 'root', admin: true, disabled: false });
    expect(Date.parse(listed.createdAt)).toBeGreaterThan(Date.now() - 3_600_000);

    const none = await conforming<Page<AdminUserSummary>>('get', ADMIN_PATHS.users, session(root), 200, { query: { q: 'nobody' } });
    expect(none).toEqual({ items: [], nextCursor: null });
    const exact = await conforming<Page<AdminUserSummary>>('get', ADMIN_PATHS.users, session(root), 200, { query: { q: 'page_' } });
    // '_' is a character here, not a wildcard.
    expect(exact.items.map((u) => u.username)).toEqual(['page_c']);
  });

  it.each([
    [{ limit: 0 }, 'limit must be a whole number from 1 to 200'],
    [{ limit: 201 }, 'limit must be a whole number from 1 to 200'],
    [{ limit: 'ten' }, 'limit must be a whole number from 1 to 200'],
    [{ cursor: 'not-a-cursor' }, 'cursor is not a cursor of the users list: pass back a nextCursor unchanged'],
    [{ q: "a'; --" }, 'q must be the start of a username: 1 to 32 letters, digits, _ . or -'],
    [{ sort: 'name' }, 'property sort should not exist'],
  ])('refuses %j with 400', async (query, message) => {
    const res = await call('get', url(ADMIN_PATHS.users, {}, query), session(root)).expect(400);
    expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: [message] });
  });

  it("shows a user's rooms, live sessions, admin and disabled flags; 404 for an unknown id, 400 for a malformed one", async () => {
    const erin = accounts.erin;
    const room = await createRoom(server, { account: erin, rest: await registeredClient(server, erin) }, { name: 'Erin’s room', history: 'shared' });
    // Signed in at registration, for the room's genesis, and once more; a session past its idle expiry does not count.
    await signIn(erin);
    await sql(server, `UPDATE session SET expire = now() - interval '1 second' WHERE sid = (SELECT sid FROM session WHERE sess ->> 'userId' = $1 LIMIT 1)`, [erin.userId]);
    const detail = await conforming<AdminUserDetail>('get', ADMIN_PATHS.user, session(root), 200, { params: { userId: erin.userId } });
    expect(detail).toMatchObject({ username: 'erin', admin: false, disabled: false, disabledAt: null, sessions: 2, rooms: [{ id: room.id, code: room.code, name: 'Erin’s room', role: 'owner' }] });

    const unknown = await call('get', url(ADMIN_PATHS.user, { userId: randomUUID() }), session(root)).expect(404);
    expect(unknown.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'No user has this id' });
    const malformed = await call('get', url(ADMIN_PATHS.user, { userId: 'erin' }), session(root)).expect(400);
    expect(malformed.body.message).toBe('userId must be a UUID');
    for (const path of [ADMIN_PATHS.userDisable, ADMIN_PATHS.userEnable] as const) await call('post', url(path, { userId: randomUUID() }), session(root)).expect(404);
    await call('delete', url(ADMIN_PATHS.userSessions, { userId: randomUUID() }), session(root)).expect(404);
    await call('put', url(ADMIN_PATHS.userAdmin, { userId: randomUUID() }), session(root), { admin: true }).expect(404);
    expect((await call('put', url(ADMIN_PATHS.userAdmin, { userId: accounts.dave.userId }), session(root), { admin: 'yes' }).expect(400)).body.message).toEqual([
      'admin must be true or false',
    ]);
  });

  it("disable: the user's socket is told and closed, their cookie stops working, sign-in is refused; enable lets them back", async () => {
    const alice = accounts.alice;
    const cookie = await signIn(alice);
    const live = await openSocket(cookie);
    const writer = await mintApiToken(server, accounts.root.userId, ['users:write']);
    const { sessions } = await userRow(alice.userId);

    const disabled = await conforming<AdminUserDetail>('post', ADMIN_PATHS.userDisable, token(writer.token), 200, { params: { userId: alice.userId } });
    expect(disabled).toMatchObject({ id: alice.userId, disabled: true, disabledAt: expect.any(String), sessions: 0 });
    expect((await live.ended).reason).toBe('Your session ended: sign in again');
    await live.closed;

    const rest = await call('get', AUTH_PATHS.me, session(cookie)).expect(401);
    expect(rest.body.message).toMatch(/sign in/i);
    const login = await request(server.origin).post('/api/auth/login').ca(server.certificate).set('Origin', server.origin).send({ username: 'alice', authKey: alice.keys.authKey }).expect(403);
    expect(login.body.message).toBe('This account has been disabled by an administrator');
    // Disabling again changes nothing and is not audited again.
    await conforming('post', ADMIN_PATHS.userDisable, session(root), 200, { params: { userId: alice.userId } });
    expect(await auditOf({ event: 'user.disabled', target: alice.userId })).toEqual([
      { event: 'user.disabled', actor_id: accounts.root.userId, token_id: writer.id, target: alice.userId, details: { sessionsEnded: sessions, tokensRevoked: 0 } },
    ]);

    const enabled = await conforming<AdminUserDetail>('post', ADMIN_PATHS.userEnable, session(root), 200, { params: { userId: alice.userId } });
    expect(enabled).toMatchObject({ disabled: false, disabledAt: null });
    await signIn(alice);
    expect(await auditOf({ event: 'user.enabled', target: alice.userId })).toEqual([
      { event: 'user.enabled', actor_id: accounts.root.userId, token_id: null, target: alice.userId, details: {} },
    ]);
  });

  it("a users:write token cannot disable, enable or end the sessions of an admin (403, nothing changed); an admin's session can, and the admin's tokens are revoked for good", async () => {
    const dave = accounts.dave;
    await makeAdmin(server, dave.userId);
    const davesToken = await mintApiToken(server, dave.userId, ['rooms:read']);
    const writer = await mintApiToken(server, accounts.root.userId, ['users:write']);
    const before = await userRow(dave.userId);
    for (const [method, path] of [
      ['post', ADMIN_PATHS.userDisable],
      ['post', ADMIN_PATHS.userEnable],
      ['delete', ADMIN_PATHS.userSessions],
    ] as const) {
      const refused = await call(method, url(path, { userId: dave.userId }), token(writer.token)).expect(403);
      expect(refused.body.message).toMatch(/^An API token cannot disable, enable or end the sessions of a site admin/);
    }
    expect(await userRow(dave.userId)).toEqual(before);
    await call('get', url(ADMIN_PATHS.rooms), token(davesToken.token)).expect(200);

    // Disabled by an admin's session: dave's tokens are revoked, and stay so once he is enabled again.
    await conforming('post', ADMIN_PATHS.userDisable, session(root), 200, { params: { userId: dave.userId } });
    await conforming('post', ADMIN_PATHS.userEnable, session(root), 200, { params: { userId: dave.userId } });
    expect((await call('get', url(ADMIN_PATHS.rooms), token(davesToken.token)).expect(401)).body.message).toMatch(/not valid/);
    expect((await sql<{ revoked: boolean }>(server, `SELECT revoked_at IS NOT NULL AS revoked FROM api_tokens WHERE id = $1`, [davesToken.id]))[0]?.revoked).toBe(true);
    expect(await auditOf({ event: 'user.disabled', target: dave.userId }).then((rows) => rows.at(-1)?.details)).toEqual({ sessionsEnded: expect.any(Number), tokensRevoked: 1 });

    // Losing admin revokes the tokens too: granting admin again does not bring them back.
    const second = await mintApiToken(server, dave.userId, ['rooms:read']);
    await conforming('put', ADMIN_PATHS.userAdmin, session(root), 200, { params: { userId: dave.userId }, body: { admin: false } });
    await conforming('put', ADMIN_PATHS.userAdmin, session(root), 200, { params: { userId: dave.userId }, body: { admin: true } });
    await call('get', url(ADMIN_PATHS.rooms), token(second.token)).expect(401);
    await makeAdmin(server, dave.userId, false);
  });

  it('an admin cannot disable themselves, nor through a token they made (409, nothing changed)', async () => {
    const rootBefore = await userRow(accounts.root.userId);
    const res = await call('post', url(ADMIN_PATHS.userDisable, { userId: accounts.root.userId }), session(root)).expect(409);
    expect(res.body).toEqual({ statusCode: 409, error: 'Conflict', message: 'An admin cannot disable their own account (an API token acts for the admin who made it)' });
    const own = await mintApiToken(server, accounts.root.userId, ['users:write']);
    await call('post', url(ADMIN_PATHS.userDisable, { userId: accounts.root.userId }), token(own.token)).expect(409);
    // The same id in capitals is the same account.
    await call('post', url(ADMIN_PATHS.userDisable, { userId: accounts.root.userId.toUpperCase() }), session(root)).expect(409);
    expect(await userRow(accounts.root.userId)).toEqual(rootBefore);
  });

  it("end sessions: every session of the user ends (204) and their sockets close; they may sign in again", async () => {
    const bob = accounts.bob;
    const [first, second] = [await signIn(bob), await signIn(bob)];
    const live = await openSocket(first);
    const { sessions } = await userRow(bob.userId);
    expect(sessions).toBeGreaterThanOrEqual(2);
    expect((await conforming<AdminUserDetail>('get', ADMIN_PATHS.user, session(root), 200, { params: { userId: bob.userId } })).sessions).toBe(sessions);

    const res = await call('delete', url(ADMIN_PATHS.userSessions, { userId: bob.userId }), session(root)).expect(204);
    expect(res.text).toBe('');
    expect((await live.ended).reason).toBe('Your session ended: sign in again');
    await live.closed;
    for (const cookie of [first, second]) await call('get', AUTH_PATHS.me, session(cookie)).expect(401);
    expect((await conforming<AdminUserDetail>('get', ADMIN_PATHS.user, session(root), 200, { params: { userId: bob.userId } })).sessions).toBe(0);
    expect(await auditOf({ event: 'user.sessions_ended', target: bob.userId })).toEqual([
      { event: 'user.sessions_ended', actor_id: accounts.root.userId, token_id: null, target: bob.userId, details: { sessions } },
    ]);
    await signIn(bob);
  });

  it('grant and revoke admin (audited {by: api}); an admin cannot revoke themselves (409)', async () => {
    const carol = accounts.carol;
    const cookie = await signIn(carol);
    await call('get', url(ADMIN_PATHS.users), session(cookie)).expect(403);

    const granted = await conforming<AdminUserDetail>('put', ADMIN_PATHS.userAdmin, session(root), 200, { params: { userId: carol.userId }, body: { admin: true } });
    expect(granted.admin).toBe(true);
    await call('get', url(ADMIN_PATHS.users), session(cookie)).expect(200);
    expect((await call('get', AUTH_PATHS.me, session(cookie)).expect(200)).body.admin).toBe(true);
    // Granting again changes nothing.
    await conforming('put', ADMIN_PATHS.userAdmin, session(root), 200, { params: { userId: carol.userId }, body: { admin: true } });

    const self = await call('put', url(ADMIN_PATHS.userAdmin, { userId: carol.userId }), session(cookie), { admin: false }).expect(409);
    expect(self.body.message).toBe('You cannot revoke your own admin rights: another admin must (so the last admin cannot lock everyone out by mistake)');
    await call('put', url(ADMIN_PATHS.userAdmin, { userId: carol.userId.toUpperCase() }), session(cookie), { admin: false }).expect(409);
    expect((await userRow(carol.userId)).is_admin).toBe(true);

    // One admin revokes another.
    const revoked = await conforming<AdminUserDetail>('put', ADMIN_PATHS.userAdmin, session(cookie), 200, { params: { userId: accounts.ops.userId }, body: { admin: false } });
    expect(revoked.admin).toBe(false);
    await conforming('put', ADMIN_PATHS.userAdmin, session(root), 200, { params: { userId: carol.userId }, body: { admin: false } });
    await call('get', url(ADMIN_PATHS.users), session(cookie)).expect(403);
    await makeAdmin(server, accounts.ops.userId);

    expect(await auditOf({ target: carol.userId }).then((rows) => rows.filter((r) => r.event.startsWith('admin.') && r.event !== 'admin.call'))).toEqual([
      { event: 'admin.granted', actor_id: accounts.root.userId, token_id: null, target: carol.userId, details: { by: 'api' } },
      { event: 'admin.revoked', actor_id: accounts.root.userId, token_id: null, target: carol.userId, details: { by: 'api' } },
    ]);
    expect(await auditOf({ event: 'admin.revoked', target: accounts.ops.userId }).then((rows) => rows.at(-1))).toMatchObject({ actor_id: carol.userId, details: { by: 'api' } });
  });
});

describe('the audit log', () => {
  const walk = async (query: Record<string, string | number>, who: Parameters<typeof call>[2] = session(root)): Promise<{ records: AuditRecord[]; pages: number }> => {
    const records: AuditRecord[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page<AuditRecord> = await conforming('get', ADMIN_PATHS.audit, who, 200, { query: cursor ? { ...query, cursor } : query });
      records.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 200);
    return { records, pages };
  };
  let everything: AuditRecord[];

  beforeAll(async () => {
    everything = (await walk({ limit: 200 })).records;
  });

  it('walks every record newest first with a cursor, with the same records whatever the page size', async () => {
    expect(everything.length).toBeGreaterThan(20);
    const ids = everything.map((r) => BigInt(r.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a > b ? -1 : 1)));
    const small = await walk({ limit: 7 });
    // Records written while walking (sign-ins, admin calls) come before the first page: compare from the oldest.
    expect(small.records.slice(-everything.length)).toEqual(everything);
    expect(small.pages).toBeGreaterThanOrEqual(Math.ceil(everything.length / 7));
  });

  it('filters by actor, exact action, action prefix, target and time range, each also walked in pages', async () => {
    const auditor = await mintApiToken(server, accounts.root.userId, ['audit:read']);
    const checks: Array<[Record<string, string>, (r: AuditRecord) => boolean]> = [
      [{ actor: accounts.root.userId }, (r) => r.actorId === accounts.root.userId],
      [{ action: 'user.disabled' }, (r) => r.action === 'user.disabled'],
      [{ action: 'admin.' }, (r) => r.action.startsWith('admin.')],
      [{ action: 'user.' }, (r) => r.action.startsWith('user.')],
      [{ target: accounts.alice.userId }, (r) => r.target === accounts.alice.userId],
      [{ actor: accounts.root.userId, action: 'token.' }, (r) => r.actorId === accounts.root.userId && r.action.startsWith('token.')],
    ];
    for (const [filter, keep] of checks) {
      const expected = everything.filter(keep);
      expect(expected.length).toBeGreaterThan(0);
      const { records } = await walk({ ...filter, limit: 2 }, token(auditor.token));
      expect(records.slice(-expected.length)).toEqual(expected);
      expect(records.every(keep)).toBe(true);
    }
    expect((await walk({ action: 'user.disabled' })).records.map((r) => r.target)).toContain(accounts.alice.userId);

    // A window in the middle of the log: at or after `from`, before `to`.
    const oldestFirst = [...everything].reverse();
    const from = oldestFirst[5]!.at;
    const to = oldestFirst[oldestFirst.length - 5]!.at;
    const inWindow = everything.filter((r) => Date.parse(r.at) >= Date.parse(from) && Date.parse(r.at) < Date.parse(to));
    expect(inWindow.length).toBeGreaterThan(0);
    expect((await walk({ from, to, limit: 3 })).records).toEqual(inWindow);
    expect((await walk({ to: oldestFirst[0]!.at })).records).toEqual([]);
  });

  it.each([
    [{ actor: 'root' }, 'actor must be a user id (a UUID)'],
    [{ action: 'admin.*' }, "action must be an event name (e.g. user.disabled) or a prefix ending in '.' (e.g. admin.)"],
    [{ from: 'last week' }, 'from must be an ISO 8601 date-time with its zone (e.g. 2026-01-31T12:00:00Z) or a date (2026-01-31)'],
    [{ from: '2026-02-01', to: '2026-01-01' }, 'to must be later than from'],
    [{ limit: 500 }, 'limit must be a whole number from 1 to 200'],
    [{ cursor: Buffer.from('{"id":"1 OR 1=1"}').toString('base64url') }, 'cursor is not a cursor of the audit list: pass back a nextCursor unchanged'],
  ])('refuses %j with 400', async (query, message) => {
    const res = await call('get', url(ADMIN_PATHS.audit, {}, query), session(root)).expect(400);
    expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: [message] });
  });
});

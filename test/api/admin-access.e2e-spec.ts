import { randomUUID } from 'node:crypto';
import { ADMIN_API_PREFIX, ADMIN_PATHS, API_TOKEN_SCOPES, type ApiTokenScope, type RoomSummary } from '@conclave/contracts';
import request from 'supertest';
import { type Account, type Client, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { bearer, makeAdmin, mintApiToken } from '../support/api-tokens.js';
import { sql } from '../support/db.js';
import { createRoom, joinAndAdmit } from '../support/membership.js';
import { ServerProcess } from '../support/server.js';
import { sessionCookie } from '../support/sockets.js';

/**
 * The admin API's access matrix (README "Administration"): every route × anonymous, a user, an
 * admin's session, a token with exactly the route's scope, a token with every other scope, and
 * expired, revoked and orphaned tokens → the right status; and every refusal changes nothing.
 */

type Method = 'get' | 'post' | 'put' | 'delete';

interface Person {
  account: Account;
  rest: Client;
}

/** What a route needs in its path and body; destructive routes get a fresh one per successful call. */
interface Fixture {
  owner: Person;
  member: Person;
  room: RoomSummary;
  /** A user the user routes act on. */
  target: Person;
  tokenId: string;
  jobId: string;
}

interface Route {
  method: Method;
  path: string;
  access: ApiTokenScope | 'admin-session';
  success: number;
  /** Needs a fixture of its own for a successful call (it removes, hands over or deletes something). */
  destructive?: boolean;
  body?: (f: Fixture) => object;
}

const ROUTES: Route[] = [
  { method: 'get', path: ADMIN_PATHS.rooms, access: 'rooms:read', success: 200 },
  { method: 'get', path: ADMIN_PATHS.room, access: 'rooms:read', success: 200 },
  { method: 'get', path: ADMIN_PATHS.roomMembers, access: 'rooms:read', success: 200 },
  { method: 'delete', path: ADMIN_PATHS.roomMember, access: 'rooms:write', success: 204, destructive: true },
  { method: 'put', path: ADMIN_PATHS.roomJoins, access: 'rooms:write', success: 200, body: () => ({ blocked: true }), destructive: true },
  { method: 'put', path: ADMIN_PATHS.roomOwner, access: 'rooms:write', success: 200, body: (f) => ({ userId: f.member.account.userId }), destructive: true },
  { method: 'delete', path: ADMIN_PATHS.room, access: 'rooms:write', success: 202, destructive: true },
  { method: 'get', path: ADMIN_PATHS.job, access: 'rooms:read', success: 200 },
  { method: 'get', path: ADMIN_PATHS.users, access: 'users:read', success: 200 },
  { method: 'get', path: ADMIN_PATHS.user, access: 'users:read', success: 200 },
  { method: 'post', path: ADMIN_PATHS.userDisable, access: 'users:write', success: 200, destructive: true },
  { method: 'post', path: ADMIN_PATHS.userEnable, access: 'users:write', success: 200 },
  { method: 'delete', path: ADMIN_PATHS.userSessions, access: 'users:write', success: 204, destructive: true },
  { method: 'put', path: ADMIN_PATHS.userAdmin, access: 'admin-session', success: 200, body: () => ({ admin: true }), destructive: true },
  { method: 'get', path: ADMIN_PATHS.tokens, access: 'admin-session', success: 200 },
  {
    method: 'post',
    path: ADMIN_PATHS.tokens,
    access: 'admin-session',
    success: 201,
    body: () => ({ name: 'matrix', scopes: ['rooms:read'], expiresAt: new Date(Date.now() + 7 * 86_400_000).toISOString() }),
  },
  { method: 'delete', path: ADMIN_PATHS.token, access: 'admin-session', success: 200, destructive: true },
  { method: 'get', path: ADMIN_PATHS.audit, access: 'audit:read', success: 200 },
];

let server: ServerProcess;
let admin: Person;
let user: Person;
let shared: Fixture;

beforeAll(async () => {
  server = await ServerProcess.start({
    env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '10000', ROOM_PROBES_PER_ADDRESS_PER_MINUTE: '10000', ADMIN_RATE_LIMIT_PER_MINUTE: '100000' },
  });
  admin = await person('matrix-admin');
  await makeAdmin(server, admin.account.userId);
  user = await person('matrix-user');
  adminCookie = await sessionCookie(server, admin.account);
  userCookie = await sessionCookie(server, user.account);
  shared = await fixture();
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

let serial = 0;
async function person(prefix: string): Promise<Person> {
  const account = await newAccount(`${prefix}-${++serial}`);
  return { account, rest: await registeredClient(server, account) };
}

/** A room with its owner and one admitted member, a target user, a token to revoke and a finished job to read. */
async function fixture(): Promise<Fixture> {
  const owner = await person('owner');
  const member = await person('member');
  const room = await createRoom(server, owner, { name: `Matrix ${randomUUID().slice(0, 6)}`, history: 'shared' });
  await joinAndAdmit(server, member, room, owner);
  const target = await person('target');
  const { id: tokenId } = await mintApiToken(server, admin.account.userId, ['rooms:read']);
  const doomed = await createRoom(server, owner, { name: `Doomed ${randomUUID().slice(0, 6)}`, history: 'shared' });
  const job = await call(adminSession(), 'delete', `/${ADMIN_API_PREFIX}/${ADMIN_PATHS.room.replace(':code', doomed.code)}`);
  expect(job.status).toBe(202);
  return { owner, member, room, target, tokenId, jobId: job.body.id };
}

function url(route: Route, f: Fixture): string {
  const path = route.path
    .replace(':code', f.room.code)
    .replace(':userId', route.path.startsWith('rooms/') ? f.member.account.userId : f.target.account.userId)
    .replace(':tokenId', f.tokenId)
    .replace(':jobId', f.jobId);
  return `/${ADMIN_API_PREFIX}/${path}`;
}

type Caller = (req: request.Test) => request.Test;

function call(as: Caller, method: Method, path: string, body?: object): Promise<request.Response> {
  const req = request(server.origin)[method](path).ca(server.certificate).set('Origin', server.origin);
  return as(body ? req.send(body) : req);
}

let adminCookie: string | undefined;
let userCookie: string | undefined;
const adminSession = (): Caller => (req) => req.set('Cookie', adminCookie!);
const userSession = (): Caller => (req) => req.set('Cookie', userCookie!);
const withToken = (token: string): Caller => (req) => req.set(bearer(token));
const anonymous: Caller = (req) => req;

/** Every table an admin route could change, without the columns a refused call may legitimately touch (a token's last use, a session's rolling expiry). */
async function state(): Promise<string> {
  const tables: Array<[string, string[]]> = [
    ['users', ['last_seen_at']],
    ['rooms', []],
    ['room_members', []],
    ['room_join_requests', []],
    ['room_invites', []],
    ['messages', []],
    ['files', []],
    ['api_tokens', ['last_used_at', 'last_used_ip']],
    ['admin_jobs', []],
  ];
  const parts: string[] = [];
  for (const [table, volatile] of tables) {
    const minus = volatile.map((c) => ` - '${c}'`).join('');
    const [row] = await sql<{ digest: string | null }>(server, `SELECT md5(string_agg((to_jsonb(t)${minus})::text, ',' ORDER BY (to_jsonb(t)${minus})::text)) AS digest FROM ${table} t`);
    parts.push(`${table}:${row?.digest}`);
  }
  const [sessions] = await sql<{ digest: string | null }>(server, `SELECT md5(string_agg(sid, ',' ORDER BY sid)) AS digest FROM session`);
  return `${parts.join(' ')} session:${sessions?.digest}`;
}

describe('the admin API access matrix', () => {
  it('refuses every route to anyone not entitled, with the right status, and changes nothing', async () => {
    const expired = await mintApiToken(server, admin.account.userId, [...API_TOKEN_SCOPES], { expiresAt: new Date(Date.now() - 1000) });
    const revoked = await mintApiToken(server, admin.account.userId, [...API_TOKEN_SCOPES], { revoked: true });
    const orphanCreator = await person('former-admin');
    const orphaned = await mintApiToken(server, orphanCreator.account.userId, [...API_TOKEN_SCOPES]);
    const lacking = new Map<Route, string>();
    for (const route of ROUTES) lacking.set(route, (await mintApiToken(server, admin.account.userId, API_TOKEN_SCOPES.filter((s) => s !== route.access))).token);
    const before = await state();
    const failures: string[] = [];
    for (const route of ROUTES) {
      const path = url(route, shared);
      const body = route.body?.(shared);
      const callers: Array<[string, Caller, number]> = [
        ['anonymous', anonymous, 401],
        ['a user', userSession(), 403],
        ['an expired token', withToken(expired.token), 401],
        ['a revoked token', withToken(revoked.token), 401],
        ['a token whose creator is not an admin', withToken(orphaned.token), 401],
      ];
      callers.push(['a token with every other scope', withToken(lacking.get(route)!), 403]);
      for (const [who, as, expected] of callers) {
        const res = await call(as, route.method, path, body);
        if (res.status !== expected) failures.push(`${route.method.toUpperCase()} ${route.path} as ${who}: ${res.status} (expected ${expected}) ${JSON.stringify(res.body)}`);
        else if (typeof res.body?.message !== 'string' || res.body.statusCode !== expected) failures.push(`${route.method.toUpperCase()} ${route.path} as ${who}: no {statusCode, message} body`);
      }
    }
    expect(failures).toEqual([]);
    expect(await state()).toBe(before);
  }, 300_000);

  it("lets an admin's session and a token with exactly the route's scope through (tokens never manage tokens or admins)", async () => {
    const failures: string[] = [];
    for (const route of ROUTES) {
      const callers: Array<[string, Caller, number]> = [['an admin session', adminSession(), route.success]];
      const scoped = route.access === 'admin-session' ? API_TOKEN_SCOPES : [route.access];
      callers.push([`a token with ${scoped.join(' ')}`, withToken((await mintApiToken(server, admin.account.userId, [...scoped])).token), route.access === 'admin-session' ? 403 : route.success]);
      for (const [who, as, expected] of callers) {
        const f = route.destructive && expected === route.success ? await fixture() : shared;
        const res = await call(as, route.method, url(route, f), route.body?.(f));
        if (res.status !== expected) failures.push(`${route.method.toUpperCase()} ${route.path} as ${who}: ${res.status} (expected ${expected}) ${JSON.stringify(res.body)}`);
      }
    }
    expect(failures).toEqual([]);
  }, 600_000);

  it('covers every admin route the server documents', async () => {
    const document = (await request(server.origin).get('/api/docs-json').ca(server.certificate).expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths)
      .filter(([path]) => path.startsWith(`/${ADMIN_API_PREFIX}/`))
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`));
    const covered = ROUTES.map((r) => `${r.method} /${ADMIN_API_PREFIX}/${r.path.replace(/:(\w+)/g, '{$1}')}`);
    expect(documented.sort()).toEqual([...new Set(covered)].sort());
  });
});

import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ADMIN_API_PREFIX,
  ADMIN_PATHS,
  type AdminJob,
  type AdminRoomDetail,
  type AdminRoomMember,
  type AdminRoomSummary,
  JOINS_BLOCKED_MESSAGE,
  type Page,
  ROOM_CODE_ALPHABET,
  type RoomSummary,
} from '@conclave/contracts';
import { encryptMessage, inviteIdFromSecret, inviteVerifier, joinProof, newInviteSecret, sealVerifier, textContent } from '@conclave/crypto';
import type { Socket } from 'socket.io-client';
import request from 'supertest';
import { type Account, type Client, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { bearer, makeAdmin, type MintedToken, mintApiToken } from '../support/api-tokens.js';
import { sql } from '../support/db.js';
import { encryptedFile, sendFileMessage, upload } from '../support/files.js';
import { admissionFor, askToJoin, createRoom, joinAndAdmit, passwordJoin, setRoomPassword } from '../support/membership.js';
import { type OpenApiDocument, ResponseConformance } from '../support/openapi.js';
import { ServerProcess } from '../support/server.js';
import { ask, CHAT_EVENTS, connect, connected, makeFirstEpoch, next, resultOf, sessionCookie } from '../support/sockets.js';

/**
 * The rooms half of the admin API (/api/admin/v1; README "Administration"), against a real server:
 * every success answer checked against the schema /api/docs-json documents for it, refusals that
 * change nothing, blocked joins, ownership, a removal the members' clients see as an owner's, a
 * room deletion job that leaves nothing of the room in the database or the storage, the audit rows
 * of every call and the per-caller rate limit.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Method = 'get' | 'put' | 'delete';
/** Makes a request as someone: an API token, a session, or nobody. */
type Caller = (method: Method, path: string) => request.Test;

interface Person {
  account: Account;
  rest: Client;
  socket: Socket;
}

interface KeyedRoom extends RoomSummary {
  epochKey: CryptoKey;
}

/** A route under the admin prefix, from ADMIN_PATHS with its parameters filled in. */
const adminPath = (template: string, params: Record<string, string> = {}) => `/${ADMIN_API_PREFIX}/${template.replace(/:(\w+)/g, (_, name: string) => params[name]!)}`;
/** The same route as the OpenAPI document names it ('/api/admin/v1/rooms/{code}'). */
const documented = (template: string) => `/${ADMIN_API_PREFIX}/${template.replace(/:(\w+)/g, '{$1}')}`;

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(150);
  }
}

function storedObjects(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name);
}

let server: ServerProcess;
let conformance: ResponseConformance;
const people = {} as Record<'ada' | 'uma' | 'ann' | 'ben' | 'cat' | 'dan' | 'eve' | 'fay' | 'gus' | 'hal' | 'ivy', Person>;
const tokens = {} as Record<'reader' | 'writer' | 'usersOnly' | 'expired' | 'revoked', MintedToken>;
let anonymous: Caller;
let adaSession: Caller;
let umaSession: Caller;
const withToken =
  (token: MintedToken): Caller =>
  (method, path) =>
    request(server.origin)[method](path).ca(server.certificate).set(bearer(token.token));
let writer: Caller;
let reader: Caller;

/** A session of `account` (cookie and Origin as a browser sends them). */
async function sessionOf(account: Account): Promise<Caller> {
  const agent = request.agent(server.origin).ca(server.certificate);
  await agent.post('/api/auth/login').set('Origin', server.origin).send({ username: account.username, authKey: account.keys.authKey }).expect(200);
  return (method, path) => agent[method](path).set('Origin', server.origin);
}

/** The answer conforms to the schema the document gives for its status. */
function conforms(method: Method, template: string, res: request.Response): request.Response {
  conformance.check(method, documented(template), res.status, res.body);
  return res;
}

async function enter(person: Person, code: string): Promise<void> {
  resultOf(await ask(person.socket, CHAT_EVENTS.enter, { code }));
}

/** A room of `owner` with `others` admitted, everyone entered, epoch 1 made by the owner. */
async function keyedRoom(name: string, owner: Person, others: Person[]): Promise<KeyedRoom> {
  const room = await createRoom(server, owner, { name, history: 'shared' });
  for (const m of others) await joinAndAdmit(server, m, room, owner);
  for (const m of [owner, ...others]) await enter(m, room.code);
  const epochKey = await makeFirstEpoch(owner.socket, room.id, owner.account, [owner, ...others].map((m) => m.account));
  return { ...room, epochKey };
}

/** message:send of a text message, waiting out the message rate when refused for it. */
async function say(person: Person, room: KeyedRoom, body: string): Promise<void> {
  const envelope = await encryptMessage({ roomId: room.id, senderId: person.account.userId, epoch: 1, epochKey: room.epochKey, senderSig: person.account.identity.sig.privateKey, content: textContent(body) });
  for (;;) {
    const reply = await ask(person.socket, CHAT_EVENTS.send, envelope);
    if (reply.ok) return;
    if (reply.error.code !== 'rate-limited') throw new Error(`refused: ${reply.error.code}: ${reply.error.message}`);
    await sleep(1000);
  }
}

/** Uploads a file and sends the message that carries it; returns its id and ciphertext size. */
async function share(person: Person, room: KeyedRoom, name: string, text: string): Promise<{ fileId: string; bytes: number }> {
  const file = await encryptedFile(room.id, name, new Uint8Array(Buffer.from(text)));
  await upload(person.rest, room.code, file.fileId, file.ciphertext, file.descriptor.mime).expect(201);
  for (;;) {
    const { reply } = await sendFileMessage(person.socket, person.account, { id: room.id, epoch: 1, epochKey: room.epochKey }, file);
    if (reply.ok) return { fileId: file.fileId, bytes: file.ciphertext.byteLength };
    if (reply.error.code !== 'rate-limited') throw new Error(`refused: ${reply.error.code}: ${reply.error.message}`);
    await sleep(1000);
  }
}

/** Everything of a room that an admin call could change, to compare before and after a refusal. */
async function roomState(roomId: string) {
  return {
    room: await sql(server, `SELECT to_jsonb(r) AS row FROM rooms r WHERE id = $1`, [roomId]),
    members: await sql(server, `SELECT user_id, role, joined_at FROM room_members WHERE room_id = $1 ORDER BY user_id`, [roomId]),
    invites: await sql(server, `SELECT id, uses, revoked_at FROM room_invites WHERE room_id = $1 ORDER BY id`, [roomId]),
    requests: await sql(server, `SELECT user_id FROM room_join_requests WHERE room_id = $1 ORDER BY user_id`, [roomId]),
    jobs: await sql(server, `SELECT id, state FROM admin_jobs ORDER BY id`),
  };
}

const auditRows = (event: string, where = 'true', values: unknown[] = []) =>
  sql<{ actor_id: string | null; token_id: string | null; target: string | null; details: Record<string, unknown> }>(
    server,
    `SELECT actor_id, token_id, target, details FROM audit_log WHERE event = $1 AND ${where} ORDER BY id`,
    [event, ...values],
  );

// Rooms used across the suite: A (messages and files, deleted at the end), B (a removal), C (blocked joins, ownership).
let roomA: KeyedRoom;
let roomB: KeyedRoom;
let roomC: KeyedRoom;

beforeAll(async () => {
  server = await ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', ROOM_PROBES_PER_ADDRESS_PER_MINUTE: '1000', CHAT_RATE_LIMIT: 'burst' } });
  for (const name of Object.keys({ ada: 0, uma: 0, ann: 0, ben: 0, cat: 0, dan: 0, eve: 0, fay: 0, gus: 0, hal: 0, ivy: 0 }) as Array<keyof typeof people>) {
    const account = await newAccount(name);
    const rest = await registeredClient(server, account);
    const socket = connect(server, await sessionCookie(server, account));
    await connected(socket);
    people[name] = { account, rest, socket };
  }
  await makeAdmin(server, people.ada.account.userId);
  const ada = people.ada.account.userId;
  tokens.reader = await mintApiToken(server, ada, ['rooms:read']);
  tokens.writer = await mintApiToken(server, ada, ['rooms:read', 'rooms:write']);
  tokens.usersOnly = await mintApiToken(server, ada, ['users:read', 'users:write', 'audit:read', 'metrics:read']);
  tokens.expired = await mintApiToken(server, ada, ['rooms:read', 'rooms:write'], { expiresAt: new Date(Date.now() - 60_000) });
  tokens.revoked = await mintApiToken(server, ada, ['rooms:read', 'rooms:write'], { revoked: true });
  anonymous = (method, path) => request(server.origin)[method](path).ca(server.certificate);
  adaSession = await sessionOf(people.ada.account);
  umaSession = await sessionOf(people.uma.account);
  writer = withToken(tokens.writer);
  reader = withToken(tokens.reader);
  conformance = new ResponseConformance((await anonymous('get', '/api/docs-json').expect(200)).body as OpenApiDocument);

  roomA = await keyedRoom('Design team', people.ann, [people.ben, people.cat]);
  roomB = await keyedRoom('Support rota', people.ann, [people.ben, people.dan]);
  roomC = await keyedRoom('Gatekeepers', people.eve, []);
}, 180_000);

afterAll(async () => {
  for (const person of Object.values(people)) person.socket?.disconnect();
  await server?.stop();
});

describe('GET rooms: a keyset-paginated list by last activity, with search', () => {
  let fillers: string[];

  beforeAll(async () => {
    // 60 more rooms, owned by uma, whose activity comes in groups of 5 identical instants (to the
    // microsecond): pages must break ties by id, or a walk would skip or repeat rooms.
    const codes = new Set<string>();
    while (codes.size < 60) codes.add(`Z${Array.from({ length: 3 }, () => ROOM_CODE_ALPHABET[Math.floor(Math.random() * ROOM_CODE_ALPHABET.length)]).join('')}`);
    fillers = (
      await sql<{ id: string }>(
        server,
        `WITH made AS (
           INSERT INTO rooms (code, name, owner_id, max_members, history, last_activity_at)
           SELECT c, 'Filler ' || c, $2, 10, 'shared', timestamptz '2026-01-01 00:00:00.123456+00' + (((n - 1) / 5) * interval '1 minute')
             FROM unnest($1::text[]) WITH ORDINALITY AS u (c, n)
           ON CONFLICT (code) DO NOTHING RETURNING id)
         INSERT INTO room_members (room_id, user_id, role, joined_epoch) SELECT id, $2, 'owner', 1 FROM made RETURNING room_id AS id`,
        [[...codes], people.uma.account.userId],
      )
    ).map((r) => r.id);
    expect(fillers.length).toBeGreaterThan(55);
  });

  const everyRoomInOrder = async () => (await sql<{ id: string }>(server, `SELECT id FROM rooms ORDER BY last_activity_at DESC, id DESC`)).map((r) => r.id);

  it('walks every room exactly once, newest activity first, a page at a time', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const res = conforms('get', ADMIN_PATHS.rooms, await reader('get', `${adminPath(ADMIN_PATHS.rooms)}?limit=7${cursor ? `&cursor=${cursor}` : ''}`).expect(200));
      const page = res.body as Page<AdminRoomSummary>;
      expect(page.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(await everyRoomInOrder());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('describes each room: owner, member count, join block, creation and last activity', async () => {
    const page = (await reader('get', `${adminPath(ADMIN_PATHS.rooms)}?q=${roomB.code}`).expect(200)).body as Page<AdminRoomSummary>;
    const [row] = await sql<{ created_at: Date; last_activity_at: Date }>(server, `SELECT created_at, last_activity_at FROM rooms WHERE id = $1`, [roomB.id]);
    expect(page).toEqual({
      items: [
        {
          id: roomB.id,
          code: roomB.code,
          name: 'Support rota',
          ownerId: people.ann.account.userId,
          ownerUsername: 'ann',
          memberCount: 3,
          joinsBlocked: false,
          createdAt: row!.created_at.toISOString(),
          lastActivityAt: row!.last_activity_at.toISOString(),
        },
      ],
      nextCursor: null,
    });
  });

  it('gives 50 rooms by default and at most 200, and refuses other limits with 400', async () => {
    const total = (await everyRoomInOrder()).length;
    const byDefault = (await reader('get', adminPath(ADMIN_PATHS.rooms)).expect(200)).body as Page<AdminRoomSummary>;
    expect(byDefault.items).toHaveLength(50);
    expect(byDefault.nextCursor).toEqual(expect.any(String));
    const widest = (await reader('get', `${adminPath(ADMIN_PATHS.rooms)}?limit=200`).expect(200)).body as Page<AdminRoomSummary>;
    expect(widest.items).toHaveLength(Math.min(total, 200));
    expect(widest.nextCursor).toBeNull();
    expect(((await reader('get', `${adminPath(ADMIN_PATHS.rooms)}?limit=1`).expect(200)).body as Page<AdminRoomSummary>).items).toHaveLength(1);
    for (const limit of ['0', '201', '-1', '1.5', 'ten', '', '1e3']) {
      const res = conforms('get', ADMIN_PATHS.rooms, await reader('get', `${adminPath(ADMIN_PATHS.rooms)}?limit=${limit}`).expect(400));
      expect(res.body.message).toContain('limit must be a whole number from 1 to 200');
    }
    const unknown = await reader('get', `${adminPath(ADMIN_PATHS.rooms)}?offset=10`).expect(400);
    expect(unknown.body.message).toContain('property offset should not exist');
  });

  it('refuses a cursor it did not give out with 400, and reads nothing with it', async () => {
    const forged = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
    const bad = [
      'not a cursor',
      'abc',
      forged({ a: '2026-01-01T00:00:00.123456Z' }),
      forged({ a: '2026-01-01T00:00:00.123456Z', i: 'not-a-uuid' }),
      forged({ a: '2026-02-31T00:00:00.123456Z', i: randomUUID() }),
      forged({ a: "2026-01-01'; DROP TABLE rooms; --", i: randomUUID() }),
      forged({ a: '2026-01-01T00:00:00.123456Z', i: randomUUID(), extra: 'x' }),
      forged(['2026-01-01T00:00:00.123456Z', randomUUID()]),
    ];
    for (const cursor of bad) {
      const res = conforms('get', ADMIN_PATHS.rooms, await reader('get', `${adminPath(ADMIN_PATHS.rooms)}?cursor=${encodeURIComponent(cursor)}`).expect(400));
      expect(res.body.message).toContain('cursor is not one this list gave out: pass nextCursor back unchanged');
    }
    // A well-formed key of a position no page ended on still works: the list continues after it.
    const after = forged({ a: '2026-01-01T00:02:00.123456Z', i: 'ffffffff-ffff-4fff-bfff-ffffffffffff' });
    const rest = (await reader('get', `${adminPath(ADMIN_PATHS.rooms)}?limit=200&cursor=${after}`).expect(200)).body as Page<AdminRoomSummary>;
    const older = await sql<{ id: string }>(
      server,
      `SELECT id FROM rooms WHERE (last_activity_at, id) < (timestamptz '2026-01-01 00:02:00.123456+00', 'ffffffff-ffff-4fff-bfff-ffffffffffff'::uuid) ORDER BY last_activity_at DESC, id DESC`,
    );
    expect(older.length).toBeGreaterThanOrEqual(10);
    expect(rest.items.map((r) => r.id)).toEqual(older.map((r) => r.id));
  });

  it('finds a room by its exact code in any case, or by a part of its name, case-insensitively', async () => {
    const search = async (q: string) => ((await reader('get', `${adminPath(ADMIN_PATHS.rooms)}?limit=200&q=${encodeURIComponent(q)}`).expect(200)).body as Page<AdminRoomSummary>).items.map((r) => r.id);
    expect(await search(roomB.code.toLowerCase())).toEqual([roomB.id]);
    expect(await search('  support  ')).toEqual([roomB.id]);
    expect(await search('DESIGN')).toEqual([roomA.id]);
    expect((await search('filler')).sort()).toEqual([...fillers].sort());
    // LIKE's wildcards are taken literally.
    const percent = (await people.ann.rest.post('/api/rooms', { name: '100% sure', history: 'shared' }).expect(201)).body as RoomSummary;
    expect(await search('%')).toEqual([percent.id]);
    expect(await search('_')).toEqual([]);
    await people.ann.rest.post(`/api/rooms/${percent.code}/leave`).expect(204);
    for (const q of ['', '   ', 'x'.repeat(65)]) {
      const res = conforms('get', ADMIN_PATHS.rooms, await reader('get', `${adminPath(ADMIN_PATHS.rooms)}?q=${q}`).expect(400));
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    }
  });
});

describe('who may call: every refusal changes nothing', () => {
  const routes = () => [
    { method: 'get' as const, path: adminPath(ADMIN_PATHS.rooms), write: false },
    { method: 'get' as const, path: adminPath(ADMIN_PATHS.room, { code: roomB.code }), write: false },
    { method: 'get' as const, path: adminPath(ADMIN_PATHS.roomMembers, { code: roomB.code }), write: false },
    { method: 'get' as const, path: adminPath(ADMIN_PATHS.job, { jobId: randomUUID() }), write: false },
    { method: 'delete' as const, path: adminPath(ADMIN_PATHS.roomMember, { code: roomB.code, userId: people.dan.account.userId }), write: true },
    { method: 'put' as const, path: adminPath(ADMIN_PATHS.roomJoins, { code: roomB.code }), body: { blocked: true }, write: true },
    { method: 'put' as const, path: adminPath(ADMIN_PATHS.roomOwner, { code: roomB.code }), body: { userId: people.ben.account.userId }, write: true },
    { method: 'delete' as const, path: adminPath(ADMIN_PATHS.room, { code: roomB.code }), write: true },
  ];

  it('answers 401 to nobody and to expired or revoked tokens, 403 to a user, to a token without the scope and to a read-only token on a write route', async () => {
    const before = await roomState(roomB.id);
    const callers: Array<{ who: string; call: Caller; status: number; writesOnly?: boolean }> = [
      { who: 'nobody', call: anonymous, status: 401 },
      { who: 'a signed-in user who is not an admin', call: umaSession, status: 403 },
      { who: 'a token without the rooms scopes', call: withToken(tokens.usersOnly), status: 403 },
      { who: 'a rooms:read token', call: reader, status: 403, writesOnly: true },
      { who: 'an expired token', call: withToken(tokens.expired), status: 401 },
      { who: 'a revoked token', call: withToken(tokens.revoked), status: 401 },
    ];
    for (const { who, call, status, writesOnly } of callers) {
      for (const route of routes()) {
        if (writesOnly && !route.write) continue;
        const pending = call(route.method, route.path);
        const res = await (route.body ? pending.send(route.body) : pending);
        if (res.status !== status) throw new Error(`${who}: ${route.method.toUpperCase()} ${route.path} answered ${res.status}, not ${status}: ${JSON.stringify(res.body)}`);
        expect(res.body).toEqual({ statusCode: status, error: status === 401 ? 'Unauthorized' : 'Forbidden', message: expect.any(String) });
      }
    }
    expect((await withToken(tokens.usersOnly)('get', adminPath(ADMIN_PATHS.rooms)).expect(403)).body.message).toBe('This API token lacks the "rooms:read" scope');
    expect((await reader('delete', adminPath(ADMIN_PATHS.room, { code: roomB.code })).expect(403)).body.message).toBe('This API token lacks the "rooms:write" scope');
    expect(await roomState(roomB.id)).toEqual(before);
  });

  it('accepts an admin\u2019s session as well as a token with the scope', async () => {
    conforms('get', ADMIN_PATHS.room, await adaSession('get', adminPath(ADMIN_PATHS.room, { code: roomB.code })).expect(200));
    conforms('get', ADMIN_PATHS.room, await reader('get', adminPath(ADMIN_PATHS.room, { code: roomB.code })).expect(200));
  });

  it('answers 400 for a malformed code or id and 404 for an unknown room or job, changing nothing', async () => {
    const before = await roomState(roomB.id);
    for (const code of ['toolong', 'O0I1', 'ab']) {
      const res = conforms('get', ADMIN_PATHS.room, await reader('get', adminPath(ADMIN_PATHS.room, { code })).expect(400));
      expect(res.body.message).toBe('A room code is 4 characters: letters and digits without 0, O, 1, I or L');
    }
    const taken = new Set((await sql<{ code: string }>(server, `SELECT code FROM rooms`)).map((r) => r.code));
    const free = ['2222', '2223', '2224', '2225'].find((c) => !taken.has(c))!;
    conforms('get', ADMIN_PATHS.room, await reader('get', adminPath(ADMIN_PATHS.room, { code: free })).expect(404));
    conforms('delete', ADMIN_PATHS.room, await writer('delete', adminPath(ADMIN_PATHS.room, { code: free })).expect(404));
    const badUser = conforms('delete', ADMIN_PATHS.roomMember, await writer('delete', adminPath(ADMIN_PATHS.roomMember, { code: roomB.code, userId: 'dan' })).expect(400));
    expect(badUser.body.message).toBe('userId must be a user id (a UUID)');
    const notMember = conforms('delete', ADMIN_PATHS.roomMember, await writer('delete', adminPath(ADMIN_PATHS.roomMember, { code: roomB.code, userId: people.eve.account.userId })).expect(404));
    expect(notMember.body.message).toBe('This person is not a member of this room');
    const badJob = conforms('get', ADMIN_PATHS.job, await reader('get', adminPath(ADMIN_PATHS.job, { jobId: 'job-1' })).expect(400));
    expect(badJob.body.message).toBe('jobId must be a job id (a UUID)');
    const noJob = conforms('get', ADMIN_PATHS.job, await reader('get', adminPath(ADMIN_PATHS.job, { jobId: randomUUID() })).expect(404));
    expect(noJob.body.message).toBe('No admin job has this id');
    for (const body of [{}, { blocked: 'yes' }, { blocked: null }, { blocked: true, extra: 1 }]) {
      conforms('put', ADMIN_PATHS.roomJoins, await writer('put', adminPath(ADMIN_PATHS.roomJoins, { code: roomB.code })).send(body).expect(400));
    }
    for (const body of [{}, { userId: 'ben' }, { userId: 42 }]) {
      conforms('put', ADMIN_PATHS.roomOwner, await writer('put', adminPath(ADMIN_PATHS.roomOwner, { code: roomB.code })).send(body).expect(400));
    }
    expect(await roomState(roomB.id)).toEqual(before);
  });

  it('carries the X-RateLimit headers on every answer', async () => {
    const res = await reader('get', adminPath(ADMIN_PATHS.rooms)).expect(200);
    expect(res.headers['x-ratelimit-limit']).toBe('600');
    expect(Number(res.headers['x-ratelimit-remaining'])).toBeLessThan(600);
    expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
  });
});

describe('details, members and activity', () => {
  let files: Array<{ fileId: string; bytes: number }>;
  let waiting: { fileId: string; bytes: number };

  beforeAll(async () => {
    await say(people.ann, roomA, 'first');
    await say(people.ben, roomA, 'second');
    files = [await share(people.ann, roomA, 'notes.txt', 'meeting notes'), await share(people.ben, roomA, 'plan.txt', 'the plan, in full')];
    // An upload no message carries yet: counted with the room's files when it is deleted, not among those its messages carry.
    const pending = await encryptedFile(roomA.id, 'draft.txt', new Uint8Array(Buffer.from('not sent yet')));
    await upload(people.cat.rest, roomA.code, pending.fileId, pending.ciphertext, pending.descriptor.mime).expect(201);
    waiting = { fileId: pending.fileId, bytes: pending.ciphertext.byteLength };
    expect((await askToJoin(people.uma.rest, roomA.code)).status).toBe('pending');
  });

  it('puts the room with the latest message first: storing a message moves its last activity', async () => {
    const [before] = await sql<{ last_activity_at: Date }>(server, `SELECT last_activity_at FROM rooms WHERE id = $1`, [roomB.id]);
    await say(people.dan, roomB, 'bump');
    const [after] = await sql<{ last_activity_at: Date }>(server, `SELECT last_activity_at FROM rooms WHERE id = $1`, [roomB.id]);
    expect(after!.last_activity_at.getTime()).toBeGreaterThan(before!.last_activity_at.getTime());
    const [first] = ((await reader('get', `${adminPath(ADMIN_PATHS.rooms)}?limit=1`).expect(200)).body as Page<AdminRoomSummary>).items;
    expect(first!.id).toBe(roomB.id);
  });

  it('GET rooms/:code: counts of members, waiting requests, messages and files, limits, password, history, epoch', async () => {
    const res = conforms('get', ADMIN_PATHS.room, await reader('get', adminPath(ADMIN_PATHS.room, { code: roomA.code.toLowerCase() })).expect(200));
    const [row] = await sql<{ created_at: Date; last_activity_at: Date }>(server, `SELECT created_at, last_activity_at FROM rooms WHERE id = $1`, [roomA.id]);
    expect(res.body as AdminRoomDetail).toEqual({
      id: roomA.id,
      code: roomA.code,
      name: 'Design team',
      ownerId: people.ann.account.userId,
      ownerUsername: 'ann',
      memberCount: 3,
      joinsBlocked: false,
      createdAt: row!.created_at.toISOString(),
      lastActivityAt: row!.last_activity_at.toISOString(),
      pendingCount: 1,
      maxMembers: roomA.maxMembers,
      hasPassword: false,
      history: 'shared',
      currentEpoch: 1,
      messageCount: 4,
      fileCount: 2,
      fileBytes: files[0]!.bytes + files[1]!.bytes,
    });
  });

  it('GET rooms/:code/members: the members with their roles, longest-standing first', async () => {
    const res = conforms('get', ADMIN_PATHS.roomMembers, await reader('get', adminPath(ADMIN_PATHS.roomMembers, { code: roomA.code })).expect(200));
    expect((res.body as AdminRoomMember[]).map(({ id, username, role }) => ({ id, username, role }))).toEqual([
      { id: people.ann.account.userId, username: 'ann', role: 'owner' },
      { id: people.ben.account.userId, username: 'ben', role: 'member' },
      { id: people.cat.account.userId, username: 'cat', role: 'member' },
    ]);
    expect((res.body as AdminRoomMember[]).every((m) => !Number.isNaN(Date.parse(m.joinedAt)))).toBe(true);
  });

  describe('DELETE rooms/:code: a job that removes the room, its messages, members and files', () => {
    it('answers 202 with the job and its Location, tells the members they were removed, and succeeds once nothing of the room is left', async () => {
      const fileIds = [...files.map((f) => f.fileId), waiting.fileId];
      const storage = join(server.dataDir, 'files');
      for (const id of fileIds) expect(storedObjects(storage)).toContain(id);
      const told = [people.ann, people.ben, people.cat].map((p) => next(p.socket, CHAT_EVENTS.removed, (n) => n.code === roomA.code, 15_000));

      const res = conforms('delete', ADMIN_PATHS.room, await writer('delete', adminPath(ADMIN_PATHS.room, { code: roomA.code })).expect(202));
      const job = res.body as AdminJob;
      expect(job).toMatchObject({ kind: 'room-deletion', target: { roomId: roomA.id, code: roomA.code }, result: null, error: null });
      expect(res.headers.location).toBe(adminPath(ADMIN_PATHS.job, { jobId: job.id }));

      let polled!: AdminJob;
      await until('the job to finish', async () => {
        polled = conforms('get', ADMIN_PATHS.job, await reader('get', res.headers.location!).expect(200)).body as AdminJob;
        return polled.state === 'succeeded' || polled.state === 'failed';
      });
      expect(polled).toEqual({
        id: job.id,
        kind: 'room-deletion',
        state: 'succeeded',
        target: { roomId: roomA.id, code: roomA.code },
        createdAt: job.createdAt,
        finishedAt: expect.any(String),
        result: { members: 3, messages: 4, files: 3, fileBytes: files[0]!.bytes + files[1]!.bytes + waiting.bytes },
        error: null,
      });
      for (const notice of await Promise.all(told)) expect(notice).toEqual({ code: roomA.code, reason: 'removed' });

      // Nothing of the room is left: no row that names it or its files, no object in the storage.
      for (const table of ['rooms', 'messages', 'room_members', 'room_join_requests', 'key_boxes', 'room_genesis', 'room_admissions', 'room_invites']) {
        const column = table === 'rooms' ? 'id' : 'room_id';
        expect([table, await sql(server, `SELECT 1 FROM ${table} WHERE ${column} = $1`, [roomA.id])]).toEqual([table, []]);
      }
      expect(await sql(server, `SELECT id, state, room_id FROM files WHERE id = ANY($1::uuid[])`, [fileIds])).toEqual([]);
      const left = storedObjects(storage);
      for (const id of fileIds) expect(left).not.toContain(id);
      expect(await sql(server, `SELECT 1 FROM files WHERE room_id IS NULL`)).toEqual([]);

      conforms('get', ADMIN_PATHS.room, await reader('get', adminPath(ADMIN_PATHS.room, { code: roomA.code })).expect(404));
      await people.ann.rest.get(`/api/rooms/${roomA.code}`).expect(404);
      expect((await people.uma.rest.get('/api/rooms/pending').expect(200)).body).toEqual([]);
      const [deleted] = await auditRows('room.deleted', 'target = $2', [roomA.id]);
      expect(deleted).toEqual({
        actor_id: people.ada.account.userId,
        token_id: tokens.writer.id,
        target: roomA.id,
        details: { roomId: roomA.id, code: roomA.code, jobId: job.id, members: 3, messages: 4, files: 3, fileBytes: polled.result!.fileBytes },
      });
    });
  });
});

describe('PUT rooms/:code/joins: blocked joins', () => {
  const password = 'the gatekeepers password';

  const invite = async () => {
    const secret = newInviteSecret();
    const id = await inviteIdFromSecret(secret);
    const verifier = await inviteVerifier(secret);
    const sealed = await sealVerifier({ roomId: roomC.id, epoch: 1, epochKey: roomC.epochKey, verifierId: id, verifier });
    await people.eve.rest.post(`/api/rooms/${roomC.code}/invites`, { id, expiresAt: new Date(Date.now() + 86_400_000).toISOString(), maxUses: 5, sealed }).expect(201);
    return { id, verifier };
  };

  it('refuses join requests, invite and password joins and admissions with 409 while blocked; a request made before waits', async () => {
    expect((await askToJoin(people.fay.rest, roomC.code)).status).toBe('pending');
    const { id: inviteId, verifier } = await invite();

    const blocked = conforms('put', ADMIN_PATHS.roomJoins, await writer('put', adminPath(ADMIN_PATHS.roomJoins, { code: roomC.code })).send({ blocked: true }).expect(200));
    expect(blocked.body as AdminRoomDetail).toMatchObject({ id: roomC.id, joinsBlocked: true, pendingCount: 1, memberCount: 1 });

    const byCode = await people.gus.rest.post(`/api/rooms/${roomC.code}/join`, {}).expect(409);
    expect(byCode.body).toEqual({ statusCode: 409, error: 'Conflict', message: JOINS_BLOCKED_MESSAGE });

    const proof = await joinProof(verifier, { code: roomC.code, joinerId: people.hal.account.userId, joinerKeys: people.hal.account.publicKeys });
    expect((await people.hal.rest.post(`/api/rooms/${roomC.code}/join`, { invite: { id: inviteId, proof } }).expect(409)).body.message).toBe(JOINS_BLOCKED_MESSAGE);
    // The refused join used nothing of the invite.
    expect(await sql(server, `SELECT uses FROM room_invites WHERE room_id = $1 AND id = $2`, [roomC.id, inviteId])).toEqual([{ uses: 0 }]);

    const admission = await admissionFor(roomC.id, people.eve.account, people.fay.account);
    const refused = await ask(people.eve.socket, CHAT_EVENTS.admissionGrant, { roomId: roomC.id, admission });
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid-payload', message: JOINS_BLOCKED_MESSAGE } });

    // One answer whatever the caller sends, decided before the password or the invite is looked at:
    // a 409 for the right password only would confirm it (a wrong one used to get the 404).
    await setRoomPassword(people.eve.rest, roomC, password, { epoch: 1, epochKey: roomC.epochKey });
    for (const body of [
      await passwordJoin(password, roomC.code, people.ivy.account),
      await passwordJoin('not the gatekeepers password', roomC.code, people.ivy.account),
      {},
      { invite: { id: 'A'.repeat(22), proof } },
    ]) {
      const res = await people.ivy.rest.post(`/api/rooms/${roomC.code}/join`, body);
      expect([res.status, res.body]).toEqual([409, { statusCode: 409, error: 'Conflict', message: JOINS_BLOCKED_MESSAGE }]);
    }
    expect(await sql(server, `SELECT uses FROM room_invites WHERE room_id = $1 AND id = $2`, [roomC.id, inviteId])).toEqual([{ uses: 0 }]);

    expect(await sql(server, `SELECT user_id FROM room_members WHERE room_id = $1`, [roomC.id])).toEqual([{ user_id: people.eve.account.userId }]);
    expect(await sql(server, `SELECT user_id FROM room_join_requests WHERE room_id = $1`, [roomC.id])).toEqual([{ user_id: people.fay.account.userId }]);
    expect(await auditRows('room.joins_blocked', 'target = $2', [roomC.id])).toEqual([
      { actor_id: people.ada.account.userId, token_id: tokens.writer.id, target: roomC.id, details: { roomId: roomC.id } },
    ]);

    const unblocked = conforms('put', ADMIN_PATHS.roomJoins, await adaSession('put', adminPath(ADMIN_PATHS.roomJoins, { code: roomC.code })).send({ blocked: false }).expect(200));
    expect((unblocked.body as AdminRoomDetail).joinsBlocked).toBe(false);
    expect(await ask(people.eve.socket, CHAT_EVENTS.admissionGrant, { roomId: roomC.id, admission })).toEqual({ ok: true, result: { userId: people.fay.account.userId } });
    expect((await askToJoin(people.gus.rest, roomC.code, await passwordJoin(password, roomC.code, people.gus.account))).status).toBe('pending');
    expect(await auditRows('room.joins_unblocked', 'target = $2', [roomC.id])).toEqual([
      { actor_id: people.ada.account.userId, token_id: null, target: roomC.id, details: { roomId: roomC.id } },
    ]);
  });
});

describe('PUT rooms/:code/owner: ownership goes to a member', () => {
  it('hands the room to a member, the old owner stays a member, and owner-only routes follow', async () => {
    const res = conforms('put', ADMIN_PATHS.roomOwner, await writer('put', adminPath(ADMIN_PATHS.roomOwner, { code: roomC.code })).send({ userId: people.fay.account.userId }).expect(200));
    expect(res.body as AdminRoomDetail).toMatchObject({ id: roomC.id, ownerId: people.fay.account.userId, ownerUsername: 'fay' });
    const members = (await reader('get', adminPath(ADMIN_PATHS.roomMembers, { code: roomC.code })).expect(200)).body as AdminRoomMember[];
    expect(members.map(({ username, role }) => ({ username, role }))).toEqual([
      { username: 'eve', role: 'member' },
      { username: 'fay', role: 'owner' },
    ]);
    expect(((await people.eve.rest.get(`/api/rooms/${roomC.code}`).expect(200)).body as RoomSummary).role).toBe('member');
    expect(await auditRows('room.owner_transferred', 'target = $2', [roomC.id])).toEqual([
      { actor_id: people.ada.account.userId, token_id: tokens.writer.id, target: roomC.id, details: { roomId: roomC.id, from: people.eve.account.userId, to: people.fay.account.userId } },
    ]);
    // The owner's own routes now answer to fay, not to eve.
    await people.eve.rest.post(`/api/rooms/${roomC.code}/members/${people.fay.account.userId}/remove`).expect(403);
    // Handing it to its owner again changes nothing.
    await writer('put', adminPath(ADMIN_PATHS.roomOwner, { code: roomC.code })).send({ userId: people.fay.account.userId }).expect(200);
    expect(await auditRows('room.owner_transferred', 'target = $2', [roomC.id])).toHaveLength(1);
  });

  it('refuses someone who is not a member with 409, changing nothing', async () => {
    const before = await roomState(roomC.id);
    for (const outsider of [people.uma.account.userId, people.gus.account.userId, randomUUID()]) {
      const res = conforms('put', ADMIN_PATHS.roomOwner, await writer('put', adminPath(ADMIN_PATHS.roomOwner, { code: roomC.code })).send({ userId: outsider }).expect(409));
      expect(res.body.message).toBe(`${outsider} is not a member of room ${roomC.code}: a room can only be handed to one of its members`);
    }
    expect(await roomState(roomC.id)).toEqual(before);
  });
});

describe('DELETE rooms/:code/members/:userId: as an owner\u2019s removal', () => {
  it('cuts the member off, revokes open invites and makes the remaining members\u2019 browsers rotate the key', async () => {
    const secret = newInviteSecret();
    const inviteId = await inviteIdFromSecret(secret);
    const sealed = await sealVerifier({ roomId: roomB.id, epoch: 1, epochKey: roomB.epochKey, verifierId: inviteId, verifier: await inviteVerifier(secret) });
    await people.ben.rest.post(`/api/rooms/${roomB.code}/invites`, { id: inviteId, expiresAt: new Date(Date.now() + 86_400_000).toISOString(), maxUses: 3, sealed }).expect(201);

    const rotations = [people.ann, people.ben].map((p) => next(p.socket, CHAT_EVENTS.rotate, (r) => r.roomId === roomB.id));
    const removed = next(people.dan.socket, CHAT_EVENTS.removed, (n) => n.code === roomB.code);
    await writer('delete', adminPath(ADMIN_PATHS.roomMember, { code: roomB.code, userId: people.dan.account.userId })).expect(204);

    expect(await removed).toEqual({ code: roomB.code, reason: 'removed' });
    for (const rotate of await Promise.all(rotations)) {
      expect(rotate.nextEpoch).toBe(2);
      expect(rotate.members.map((m) => m.userId).sort()).toEqual([people.ann.account.userId, people.ben.account.userId].sort());
    }
    expect(await sql(server, `SELECT rotation_pending FROM rooms WHERE id = $1`, [roomB.id])).toEqual([{ rotation_pending: true }]);
    expect(await sql(server, `SELECT revoked_at IS NOT NULL AS revoked FROM room_invites WHERE room_id = $1`, [roomB.id])).toEqual([{ revoked: true }]);
    await people.dan.rest.get(`/api/rooms/${roomB.code}`).expect(404);
    // Until the new epoch exists nothing more is sent under the key dan holds.
    await expect(say(people.ben, roomB, 'after dan')).rejects.toThrow(/^refused: rotation-pending/);
    expect(await auditRows('room.member_removed', 'target = $2', [roomB.id])).toEqual([
      { actor_id: people.ada.account.userId, token_id: tokens.writer.id, target: roomB.id, details: { roomId: roomB.id, memberId: people.dan.account.userId, by: 'admin' } },
    ]);
    const again = await writer('delete', adminPath(ADMIN_PATHS.roomMember, { code: roomB.code, userId: people.dan.account.userId })).expect(404);
    expect(again.body.message).toBe('This person is not a member of this room');
  });
});

describe('the audit log: one admin.call row per call', () => {
  it('records the caller, the token, the target, the route pattern and the status, refusals included', async () => {
    const memberRoute = `/${ADMIN_API_PREFIX}/${ADMIN_PATHS.roomMember}`;
    await until('the audit rows', async () => (await auditRows('admin.call', `details->>'route' = $2`, [memberRoute])).length >= 2);
    const removals = await auditRows('admin.call', `details->>'route' = $2 AND token_id = $3`, [memberRoute, tokens.writer.id]);
    expect(removals).toContainEqual({
      actor_id: people.ada.account.userId,
      token_id: tokens.writer.id,
      target: roomB.id,
      details: { method: 'DELETE', route: memberRoute, status: 204 },
    });
    // A read-only token refused on a write route.
    expect(await auditRows('admin.call', `token_id = $2 AND (details->>'status')::int = 403`, [tokens.reader.id])).toContainEqual({
      actor_id: people.ada.account.userId,
      token_id: tokens.reader.id,
      target: roomB.id,
      details: { method: 'DELETE', route: `/${ADMIN_API_PREFIX}/${ADMIN_PATHS.room}`, status: 403 },
    });
    // A session: the admin, no token.
    expect(await auditRows('admin.call', `actor_id = $2 AND token_id IS NULL AND (details->>'status')::int = 200`, [people.ada.account.userId])).toContainEqual({
      actor_id: people.ada.account.userId,
      token_id: null,
      target: roomC.id,
      details: { method: 'PUT', route: `/${ADMIN_API_PREFIX}/${ADMIN_PATHS.roomJoins}`, status: 200 },
    });
    // A signed-in user who is not an admin is identified, and audited with the refusal.
    expect(await auditRows('admin.call', 'actor_id = $2', [people.uma.account.userId])).toContainEqual(
      expect.objectContaining({ token_id: null, details: expect.objectContaining({ status: 403 }) }),
    );
    // The job is the target of its own route.
    const jobRows = await auditRows('admin.call', `details->>'route' = $2`, [`/${ADMIN_API_PREFIX}/${ADMIN_PATHS.job}`]);
    expect(jobRows.some((r) => r.target !== null && r.details.status === 200)).toBe(true);
    // Refused tokens: the id they claimed, never an actor.
    for (const token of [tokens.revoked, tokens.expired]) {
      const refused = await auditRows('admin.token_refused', 'token_id = $2', [token.id]);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused[0]).toMatchObject({ actor_id: null, token_id: token.id, details: { status: 401 } });
    }
    // Nobody at all: not audited.
    expect(await auditRows('admin.call', 'actor_id IS NULL')).toEqual([]);
    const secrets = await sql<{ n: number }>(server, `SELECT count(*)::int AS n FROM audit_log WHERE details::text LIKE '%cnk_%'`);
    expect(secrets).toEqual([{ n: 0 }]);
  });
});

describe('the per-caller rate limit', () => {
  let limited: ServerProcess;

  afterAll(async () => {
    await limited?.stop();
  });

  it('answers 429 with Retry-After past ADMIN_RATE_LIMIT_PER_MINUTE, per token, and audits it', async () => {
    limited = await ServerProcess.start({ env: { ...FAST_AUTH_ENV, ADMIN_RATE_LIMIT_PER_MINUTE: '3' } });
    const account = await newAccount('rita');
    await registeredClient(limited, account);
    const [{ id }] = await sql<{ id: string }>(limited, `SELECT id FROM users WHERE username = 'rita'`);
    await makeAdmin(limited, id!);
    const [first, second] = [await mintApiToken(limited, id!, ['rooms:read']), await mintApiToken(limited, id!, ['rooms:read'])];
    const call = (token: MintedToken) => request(limited.origin).get(adminPath(ADMIN_PATHS.rooms)).ca(limited.certificate).set(bearer(token.token));
    for (const remaining of ['2', '1', '0']) {
      const res = await call(first).expect(200);
      expect(res.headers['x-ratelimit-limit']).toBe('3');
      expect(res.headers['x-ratelimit-remaining']).toBe(remaining);
    }
    const refused = await call(first).expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // One budget per token over every admin route, not one per route.
    await request(limited.origin).get(adminPath(ADMIN_PATHS.room.replace(':code', 'ZZZZ'))).ca(limited.certificate).set(bearer(first.token)).expect(429);
    expect(refused.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: 'Too many admin API calls: slow down (Retry-After says when to try again)' });
    const document = (await request(limited.origin).get('/api/docs-json').ca(limited.certificate).expect(200)).body as OpenApiDocument;
    new ResponseConformance(document).check('get', documented(ADMIN_PATHS.rooms), 429, refused.body);
    // Another token has a budget of its own.
    await call(second).expect(200);
    await until('both 429s in the audit log', async () =>
      (await sql(limited, `SELECT 1 FROM audit_log WHERE event = 'admin.call' AND token_id = $1 AND (details->>'status')::int = 429`, [first.id])).length === 2,
    );
  });
});

describe('refused calls: audited up to a bound per client address', () => {
  /** The 'admin-refusals' limit (apps/api/src/security/throttling/rate-limits.ts): refusals audited per address and minute. */
  const AUDITED_PER_MINUTE = 60;
  let flooded: ServerProcess;

  afterAll(async () => {
    await flooded?.stop();
  });

  it('past 60 refusals a minute from one address (made-up tokens, a non-admin), logs them instead, with one admin.refusals_suppressed row', async () => {
    flooded = await ServerProcess.start({ env: FAST_AUTH_ENV });
    const account = await newAccount('rex');
    const rex = await registeredClient(flooded, account);
    const madeUp = randomUUID();
    const forged = `cnk_${madeUp.replaceAll('-', '')}_${randomBytes(32).toString('base64url')}`;
    const rooms = adminPath(ADMIN_PATHS.rooms);
    // Each caller refused by a global guard, before the admin rate limit counts: 40 + 30 refusals.
    for (let i = 0; i < 40; i++) await request(flooded.origin).get(rooms).ca(flooded.certificate).set(bearer(forged)).expect(401);
    for (let i = 0; i < 30; i++) await rex.get(rooms).expect(403);

    const count = async (event: string) => (await sql<{ n: number }>(flooded, `SELECT count(*)::int AS n FROM audit_log WHERE event = $1`, [event]))[0]!.n;
    await until('the suppression notice', async () => (await count('admin.refusals_suppressed')) === 1);
    expect(await count('admin.token_refused')).toBe(40);
    expect(await count('admin.call')).toBe(AUDITED_PER_MINUTE - 40);
    expect(await sql(flooded, `SELECT actor_id, token_id, ip IS NOT NULL AS has_ip, details FROM audit_log WHERE event = 'admin.refusals_suppressed'`)).toEqual([
      { actor_id: null, token_id: null, has_ip: true, details: { auditedPerMinute: AUDITED_PER_MINUTE } },
    ]);
    // The calls past the bound are in the log, each one.
    const notAudited = () =>
      flooded.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { msg?: string; event?: string; actorId?: string; status?: number })
        .filter((line) => line.msg?.startsWith(`a refused admin call past ${AUDITED_PER_MINUTE} a minute`));
    await until('the log lines', async () => notAudited().length === 10);
    expect(notAudited().map(({ event, actorId, status }) => ({ event, actorId, status }))).toEqual(Array(10).fill({ event: 'admin.call', actorId: account.userId, status: 403 }));

    // More of them this minute: no more rows, no second notice; what is not a refusal is audited as ever.
    await request(flooded.origin).get(rooms).ca(flooded.certificate).set(bearer(forged)).expect(401);
    await makeAdmin(flooded, account.userId);
    await rex.get(rooms).expect(200);
    await until('the admin call', async () => (await sql(flooded, `SELECT 1 FROM audit_log WHERE event = 'admin.call' AND (details->>'status')::int = 200`)).length === 1);
    expect([await count('admin.token_refused'), await count('admin.refusals_suppressed')]).toEqual([40, 1]);
  });
});

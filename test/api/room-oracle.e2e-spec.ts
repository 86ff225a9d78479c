import { randomInt, randomUUID } from 'node:crypto';
import { type Ack, type EnterRoomResult, ROOM_CODE_ALPHABET, type RoomSummary, type SocketError } from '@conclave/contracts';
import { announceEpoch, generateEpochKey, importPublicKeys, sealKeyBox } from '@conclave/crypto';
import type { Socket } from 'socket.io-client';
import type { Response } from 'supertest';
import { type Account, type Client, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { sql } from '../support/db.js';
import { ServerProcess } from '../support/server.js';
import { ask, CHAT_EVENTS, connect, connected, sessionCookie } from '../support/sockets.js';

interface Person {
  account: Account;
  rest: Client;
}

const sockets: Socket[] = [];

async function people(server: ServerProcess, names: string[]): Promise<Record<string, Person>> {
  const result: Record<string, Person> = {};
  for (const name of names) {
    const account = await newAccount(name);
    result[name] = { account, rest: await registeredClient(server, account) };
  }
  return result;
}

async function online(server: ServerProcess, person: Person): Promise<Socket> {
  const socket = connect(server, await sessionCookie(server, person.account));
  sockets.push(socket);
  await connected(socket);
  return socket;
}

/** `n` distinct codes no room has. */
async function unknownCodes(server: ServerProcess, n: number): Promise<string[]> {
  const taken = new Set((await sql<{ code: string }>(server, `SELECT code FROM rooms`)).map((r) => r.code));
  const codes = new Set<string>();
  while (codes.size < n) {
    const code = Array.from({ length: 4 }, () => ROOM_CODE_ALPHABET[randomInt(ROOM_CODE_ALPHABET.length)]).join('');
    if (!taken.has(code)) codes.add(code);
  }
  return [...codes];
}

/** What a client can observe of a REST answer, with the code it asked about (its own input) masked. */
const answer = (res: Response, code: string) => ({
  status: res.status,
  body: JSON.parse(JSON.stringify(res.body).replaceAll(code, 'CODE')) as unknown,
  retryAfter: res.headers['retry-after'],
});

/** The same for a socket reply, masking the code or room id that was asked about. */
const reply = (ack: unknown, ref: string) => JSON.parse(JSON.stringify(ack).replaceAll(ref, 'REF')) as unknown;

const create = async (person: Person, body: object) => (await person.rest.post('/api/rooms', body).expect(201)).body as RoomSummary;

afterAll(() => {
  for (const socket of sockets) socket.disconnect();
});

describe('no room-existence oracle', () => {
  let server: ServerProcess;
  let who: Record<string, Person>;

  beforeAll(async () => {
    // Every user here is on the same address; its budget has its own suite below.
    server = await ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', ROOM_PROBES_PER_ADDRESS_PER_MINUTE: '1000' } });
    who = await people(server, ['olga', 'pete', 'sam', 'rita']);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('answers a non-member the same on every REST route, whether a room has the code or not', async () => {
    const { olga, pete } = who as Record<'olga' | 'pete', Person>;
    const open = await create(olga, { name: 'Open', history: 'shared' });
    const locked = await create(olga, { name: 'Locked', password: 'open sesame', history: 'shared' });
    const [unknown] = (await unknownCodes(server, 1)) as [string];
    const routes: Array<[string, (code: string) => Promise<Response>]> = [
      ['GET /api/rooms/:code', (code) => pete.rest.get(`/api/rooms/${code}`)],
      ['POST /api/rooms/:code/leave', (code) => pete.rest.post(`/api/rooms/${code}/leave`)],
      ['POST /api/rooms/:code/members/:userId/remove', (code) => pete.rest.post(`/api/rooms/${code}/members/${olga.account.userId}/remove`)],
    ];
    for (const [route, call] of routes) {
      const none = answer(await call(unknown), unknown);
      expect({ route, ...none }).toEqual({ route, status: 404, body: { statusCode: 404, error: 'Not Found', message: 'No room with code CODE among your rooms' }, retryAfter: undefined });
      for (const room of [open, locked]) expect({ route, ...answer(await call(room.code), room.code) }).toEqual({ route, ...none });
    }
    // Joining reveals a room that a code alone opens (its purpose); a password room without its
    // password answers exactly as an unknown code, with or without a (wrong) password.
    for (const body of [{}, { password: 'open says me' }]) {
      const none = answer(await pete.rest.post(`/api/rooms/${unknown}/join`, body), unknown);
      expect(none.status).toBe(404);
      expect(answer(await pete.rest.post(`/api/rooms/${locked.code}/join`, body), locked.code)).toEqual(none);
    }
    expect((await pete.rest.get('/api/rooms').expect(200)).body).toEqual([]);
    // The owner still sees both rooms as they were.
    expect((await olga.rest.get(`/api/rooms/${locked.code}`).expect(200)).body.memberCount).toBe(1);
  });

  it('answers a non-member the same on every socket event that takes a code or a room id', async () => {
    const { olga, sam } = who as Record<'olga' | 'sam', Person>;
    const room = await create(olga, { name: 'Foreign', history: 'shared' });
    const [unknown] = (await unknownCodes(server, 1)) as [string];
    const socket = await online(server, sam);

    const none = reply(await ask(socket, CHAT_EVENTS.enter, { code: unknown }), unknown);
    expect(none).toEqual({ ok: false, error: { code: 'no-such-room', message: 'No room with code REF among your rooms', event: CHAT_EVENTS.enter } });
    expect(reply(await ask(socket, CHAT_EVENTS.enter, { code: room.code }), room.code)).toEqual(none);

    const epochKey = await generateEpochKey();
    const samKeys = { recipientId: sam.account.userId, recipientEnc: (await importPublicKeys(sam.account.publicKeys)).enc, sharerId: sam.account.userId, sharerSig: sam.account.identity.sig.privateKey };
    const events: Array<[string, (roomId: string) => Promise<object>]> = [
      [CHAT_EVENTS.keyBoxes, async (roomId) => ({ roomId })],
      [CHAT_EVENTS.keyRequest, async (roomId) => ({ roomId })],
      [
        CHAT_EVENTS.newEpoch,
        async (roomId) => ({
          roomId,
          epoch: 1,
          boxes: [await sealKeyBox({ roomId, epoch: 1, epochKey, ...samKeys })],
          announcement: await announceEpoch({ roomId, epoch: 1, makerId: sam.account.userId, epochKey, makerSig: sam.account.identity.sig.privateKey }),
        }),
      ],
      [CHAT_EVENTS.keyShare, async (roomId) => ({ roomId, boxes: [await sealKeyBox({ roomId, epoch: 1, epochKey, ...samKeys })] })],
      [CHAT_EVENTS.history, async (roomId) => ({ roomId })],
      [CHAT_EVENTS.resync, async (roomId) => ({ roomId, afterSeq: 0 })],
      [CHAT_EVENTS.read, async (roomId) => ({ roomId, seq: 1 })],
    ];
    const missing = randomUUID();
    for (const [event, payload] of events) {
      const foreign = reply(await ask(socket, event, await payload(room.id)), room.id);
      expect({ event, foreign }).toEqual({ event, foreign: reply(await ask(socket, event, await payload(missing)), missing) });
      expect({ event, foreign }).toMatchObject({ event, foreign: { ok: false, error: { code: expect.stringMatching(/^(no-such-room|not-entered)$/) } } });
    }
  });

  it('counts look-ups of codes one is not in: the 31st in a minute is refused, over the socket and REST alike, and never slows a member in their own rooms', async () => {
    const { rita } = who as Record<'rita', Person>;
    const own = await create(rita, { name: 'Mine', history: 'shared' });
    const socket = await online(server, rita);
    const enterOwn = () => ask<Ack<EnterRoomResult>>(socket, CHAT_EVENTS.enter, { code: own.code });
    // Entering one's own rooms is free: more entries than the whole budget.
    for (let i = 0; i < 40; i++) expect(await enterOwn()).toMatchObject({ ok: true, result: { code: own.code } });

    const probes = await unknownCodes(server, 32);
    for (const code of probes.slice(0, 30)) expect(await ask(socket, CHAT_EVENTS.enter, { code })).toMatchObject({ ok: false, error: { code: 'no-such-room' } });
    const limited = await ask<{ ok: false; error: SocketError & { retryAfterMs: number } }>(socket, CHAT_EVENTS.enter, { code: probes[30] });
    expect(limited).toEqual({
      ok: false,
      error: { code: 'rate-limited', message: expect.stringMatching(/^Too many look-ups of rooms you are not in: try again in (\d+ seconds?|1 minute)$/), retryAfterMs: expect.any(Number), event: CHAT_EVENTS.enter },
    });
    expect(limited.error.retryAfterMs).toBeGreaterThan(0);

    // Her own room opens at once all the same, on the socket and over REST.
    expect(await enterOwn()).toMatchObject({ ok: true });
    await rita.rest.get(`/api/rooms/${own.code}`).expect(200);
    // REST spends the same budget: a look-up there is refused too, with Retry-After.
    const rest = await rita.rest.get(`/api/rooms/${probes[31]}`).expect(429);
    expect(Number(rest.headers['retry-after'])).toBeGreaterThan(0);
    await rita.rest.post(`/api/rooms/${probes[31]}/join`, {}).expect(429);
  });
});

describe('the per-address budget of room look-ups', () => {
  let server: ServerProcess;
  let who: Record<string, Person>;

  beforeAll(async () => {
    server = await ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', ROOM_PROBES_PER_ADDRESS_PER_MINUTE: '10' } });
    who = await people(server, ['una', 'vic']);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('refuses look-ups past ROOM_PROBES_PER_ADDRESS_PER_MINUTE from one address, whoever makes them', async () => {
    const { una, vic } = who as Record<'una' | 'vic', Person>;
    const own = await create(una, { name: 'Una', history: 'shared' });
    const codes = await unknownCodes(server, 13);
    for (const code of codes.slice(0, 6)) await una.rest.get(`/api/rooms/${code}`).expect(404);
    for (const code of codes.slice(6, 10)) await vic.rest.get(`/api/rooms/${code}`).expect(404);
    // The 11th from this address, though vic has made only 5.
    const limited = await vic.rest.get(`/api/rooms/${codes[10]}`).expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // The socket counts against the same address.
    const socket = await online(server, una);
    expect(await ask(socket, CHAT_EVENTS.enter, { code: codes[11] })).toMatchObject({ ok: false, error: { code: 'rate-limited' } });
    // Members are never counted.
    await una.rest.get(`/api/rooms/${own.code}`).expect(200);
    expect(await ask(socket, CHAT_EVENTS.enter, { code: own.code })).toMatchObject({ ok: true });
    await una.rest.post(`/api/rooms/${codes[12]}/join`, {}).expect(429);
  });
});

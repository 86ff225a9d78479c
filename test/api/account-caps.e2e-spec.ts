import type { Ack, HandshakeRefusal, PendingRoom, RoomSummary } from '@conclave/contracts';
import { Manager, type Socket } from 'socket.io-client';
import { type Account, type Client, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { sql } from '../support/db.js';
import { admissionFor, createRoom, signRoomGenesis, withSocket } from '../support/membership.js';
import { ServerProcess } from '../support/server.js';
import { ask, CHAT_EVENTS, connect, connected, sessionCookie } from '../support/sockets.js';

let server: ServerProcess;
const people: Record<string, { account: Account; rest: Client }> = {};
const sockets: Socket[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  // Small caps, so that reaching them is quick.
  server = await ServerProcess.start({
    env: {
      ...FAST_AUTH_ENV,
      REGISTER_LIMIT_PER_HOUR: '1000',
      ROOM_PROBES_PER_ADDRESS_PER_MINUTE: '1000',
      ROOMS_OWNED_MAX: '3',
      ROOMS_JOINED_MAX: '4',
      SOCKETS_PER_USER_MAX: '3',
      SOCKET_HANDSHAKE_TIMEOUT_SECONDS: '1',
    },
  });
  for (const name of ['owen', 'kim', 'joy', 'sid', 'tess']) {
    const account = await newAccount(name);
    people[name] = { account, rest: await registeredClient(server, account) };
  }
});

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await server?.stop();
});

const as = (name: string) => people[name]!.rest;
const count = async (text: string, userId: string) => (await sql<{ n: number }>(server, text, [userId]))[0]!.n;

describe('what one account can hold', () => {
  it('owns at most ROOMS_OWNED_MAX rooms, also when it creates them all at once', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => as('owen').post('/api/rooms', { name: `room ${i}`, history: 'shared' })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(5);
    for (const res of refused) {
      expect(res.status).toBe(409);
      expect(res.body.message).toBe('You own 3 rooms, the most one account may own (3): leave one before creating another');
    }
    expect(await count(`SELECT count(*)::int AS n FROM rooms WHERE owner_id = $1`, people.owen!.account.userId)).toBe(3);
  });

  it('belongs to (or waits to join) at most ROOMS_JOINED_MAX rooms, owned ones included: at the request, also when it asks for them all at once, and again at the admission', async () => {
    // owen owns 3 rooms from the previous case (made without a genesis: his browser signs it now); kim makes 3 more; joy owns one.
    const owens = (await as('owen').get('/api/rooms').expect(200)).body as RoomSummary[];
    await withSocket(server, people.owen!.account, async (socket) => {
      for (const room of owens) await signRoomGenesis(socket, room.id, people.owen!.account);
    });
    const kims: RoomSummary[] = [];
    for (const i of [1, 2, 3]) kims.push(await createRoom(server, { account: people.kim!.account, rest: as('kim') }, { name: `kim ${i}`, history: 'shared' }));
    await as('joy').post('/api/rooms', { name: 'joy', history: 'shared' }).expect(201);

    const results = await Promise.all([...owens, ...kims].map((room) => as('joy').post(`/api/rooms/${room.code}/join`, {})));
    expect(results.filter((r) => r.status === 200).map((r) => r.body.status)).toEqual(['pending', 'pending', 'pending']);
    const refused = results.filter((r) => r.status !== 200);
    expect(refused).toHaveLength(3);
    for (const res of refused) {
      expect(res.status).toBe(409);
      expect(res.body.message).toBe('You are in 1 rooms and wait to join 3 more, the most one account may belong to (4): withdraw a request or leave a room first');
    }
    expect(await count(`SELECT count(*)::int AS n FROM room_join_requests WHERE user_id = $1`, people.joy!.account.userId)).toBe(3);

    // A room joy creates is a membership at once; the admissions then find room for two of the three.
    await as('joy').post('/api/rooms', { name: 'joy 2', history: 'shared' }).expect(201);
    const waiting = ((await as('joy').get('/api/rooms/pending').expect(200)).body as PendingRoom[]).map((p) => [...owens, ...kims].find((r) => r.code === p.code)!);
    const answers = [];
    for (const room of waiting) {
      const owner = owens.includes(room) ? 'owen' : 'kim';
      answers.push(await withSocket(server, people[owner]!.account, async (socket) => ask<Ack<unknown>>(socket, CHAT_EVENTS.admissionGrant, { roomId: room.id, admission: await admissionFor(room.id, people[owner]!.account, people.joy!.account) })));
    }
    expect(answers.map((a) => a.ok)).toEqual([true, true, false]);
    expect(answers[2]).toMatchObject({ ok: false, error: { message: 'You are in 4 rooms, the most one account may belong to (4): leave one first' } });
    expect(await count(`SELECT count(*)::int AS n FROM room_members WHERE user_id = $1`, people.joy!.account.userId)).toBe(4);
    // Creating one more is a membership too.
    expect((await as('joy').post('/api/rooms', { name: 'one more', history: 'shared' }).expect(409)).body.message).toMatch(/the most one account may belong to \(4\)/);
    // Leaving one, and withdrawing the request left waiting, makes room for another.
    const mine = ((await as('joy').get('/api/rooms').expect(200)).body as RoomSummary[]).find((r) => r.role === 'member')!;
    await as('joy').post(`/api/rooms/${mine.code}/leave`).expect(204);
    await as('joy').post(`/api/rooms/${waiting[2]!.code}/join/cancel`).expect(204);
    await as('joy').post('/api/rooms', { name: 'one more', history: 'shared' }).expect(201);
  });

  it('holds at most SOCKETS_PER_USER_MAX sockets: the next handshake is refused with the reason, also when they all connect at once', async () => {
    const cookie = await sessionCookie(server, people.sid!.account);
    const attempts = Array.from({ length: 7 }, () => connect(server, cookie));
    sockets.push(...attempts);
    const outcomes = await Promise.allSettled(attempts.map(connected));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    const refusals = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(refusals).toHaveLength(4);
    for (const { reason } of refusals) {
      const message = 'too many connections: an account may have at most 3 open at once; close a tab or window first';
      expect((reason as Error).message).toBe(message);
      // The code tells the web app this refusal passes: it tries again (apps/web handshake-refusal.ts).
      expect((reason as { data?: HandshakeRefusal }).data).toEqual({ code: 'rate-limited', message });
    }

    // Another account is not affected.
    const tess = connect(server, await sessionCookie(server, people.tess!.account));
    sockets.push(tess);
    await connected(tess);

    // A closed socket frees its place (once the server has seen it close).
    attempts.find((s) => s.connected)!.disconnect();
    let again: Socket | undefined;
    for (let i = 0; i < 50 && !again?.connected; i++) {
      again = connect(server, cookie);
      sockets.push(again);
      await connected(again).catch(() => sleep(100));
    }
    expect(again?.connected).toBe(true);
  });

  it('closes a connection that does not finish its handshake within SOCKET_HANDSHAKE_TIMEOUT_SECONDS', async () => {
    // The transport opens, but the client never asks for a namespace (the Socket.IO handshake that carries the session check).
    const manager = new Manager(server.origin, {
      transports: ['websocket'],
      ca: server.certificate.toString(),
      extraHeaders: { Origin: server.origin },
      reconnection: false,
      autoConnect: false,
    });
    const closed = new Promise<string>((resolve) => manager.on('close', (reason) => resolve(reason)));
    await new Promise<void>((resolve, reject) => manager.open((err) => (err ? reject(err) : resolve())));
    // Configured to 1 s here (default 10 s); Socket.IO's own default would keep it open 45 s.
    let timer: NodeJS.Timeout | undefined;
    const stillOpen = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still open after 15 s'), 15_000)));
    try {
      expect(await Promise.race([closed, stillOpen])).toBe('transport close');
    } finally {
      clearTimeout(timer);
      (manager as unknown as { engine?: { close(): void } }).engine?.close();
    }
  });
});

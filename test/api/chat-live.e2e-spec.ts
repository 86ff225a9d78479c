import type { OnlineRoster } from '@conclave/contracts';
import type { Socket } from 'socket.io-client';
import { type Account, browserClient, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { createRoom, joinAndAdmit } from '../support/membership.js';
import { ServerProcess } from '../support/server.js';
import { ask, askRaw, CHAT_EVENTS, connect, connected, next, sessionCookie } from '../support/sockets.js';

let server: ServerProcess;
const accounts: Record<string, Account> = {};
const sockets: Socket[] = [];
/** Sockets the tests keep open across cases, by user. */
const live: Record<string, Socket> = {};
let code: string;

/** Connects `name`; `listen` attaches listeners before the handshake completes. */
async function online(name: string, listen: (socket: Socket) => void = () => undefined): Promise<Socket> {
  const socket = connect(server, await sessionCookie(server, accounts[name]!));
  sockets.push(socket);
  listen(socket);
  await connected(socket);
  live[name] = socket;
  return socket;
}

beforeAll(async () => {
  server = await ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000' } });
  for (const name of ['ann', 'ben', 'cat', 'dan']) {
    accounts[name] = await newAccount(name);
    await registeredClient(server, accounts[name]!);
  }
  const ann = browserClient(server);
  await ann.post('/api/auth/login', { username: 'ann', authKey: accounts.ann!.keys.authKey }).expect(200);
  const room = await createRoom(server, { account: accounts.ann!, rest: ann }, { name: 'Live', history: 'shared' });
  code = room.code;
  for (const name of ['ben', 'dan']) {
    const client = browserClient(server);
    await client.post('/api/auth/login', { username: name, authKey: accounts[name]!.keys.authKey }).expect(200);
    await joinAndAdmit(server, { account: accounts[name]!, rest: client }, room, { account: accounts.ann! });
  }
});

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await server?.stop();
});

describe('the live channel over wss', () => {
  it('refuses a handshake without a session, and one from another site', async () => {
    const anonymous = connect(server);
    await expect(connected(anonymous)).rejects.toThrow(/unauthorized/);
    const crossSite = connect(server, await sessionCookie(server, accounts.ann!), 'https://evil.example');
    await expect(connected(crossSite)).rejects.toThrow();
    anonymous.disconnect();
    crossSite.disconnect();
  });

  it('lets members enter, shows the room roster and typing, and refuses others with codes', async () => {
    const ann = await online('ann');
    // The heartbeat of the contract: a ping every 10 s, 5 s to answer (announced in the handshake).
    const engine = ann.io.engine as unknown as { _pingInterval: number; _pingTimeout: number };
    expect([engine._pingInterval, engine._pingTimeout]).toEqual([10_000, 5_000]);
    const ben = await online('ben');
    const cat = await online('cat');

    const entered = await ask(ann, CHAT_EVENTS.enter, { code: code.toLowerCase() });
    // No message yet: the log holds the "joined" lines of the two members admitted (docs/protocol.md §9a).
    expect(entered).toEqual({ ok: true, result: { roomId: expect.any(String), code, currentEpoch: 1, lastSeq: 2 } });
    const rosterWithBen = next(ann, CHAT_EVENTS.roster, (r) => r.present.length === 2);
    await ask(ben, CHAT_EVENTS.enter, { code });
    expect((await rosterWithBen).present.map((p) => p.username)).toEqual(['ann', 'ben']);

    const typing = next(ben, CHAT_EVENTS.typingNotice);
    ann.emit(CHAT_EVENTS.typing, { code, typing: true });
    expect(await typing).toEqual({ code, userId: accounts.ann!.userId, username: 'ann', typing: true });

    // A room one is not in and one that does not exist look the same (room-oracle.e2e-spec.ts).
    const refused = await ask(cat, CHAT_EVENTS.enter, { code });
    expect(refused).toEqual({ ok: false, error: { code: 'no-such-room', message: `No room with code ${code} among your rooms`, event: CHAT_EVENTS.enter } });

    const errorEvent = next(cat, CHAT_EVENTS.error);
    expect(await askRaw(cat, CHAT_EVENTS.enter, { code: 42 })).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    expect(await errorEvent).toMatchObject({ code: 'invalid-payload', event: CHAT_EVENTS.enter });

    const notEntered = next(cat, CHAT_EVENTS.error);
    cat.emit(CHAT_EVENTS.typing, { code, typing: true });
    expect(await notEntered).toMatchObject({ code: 'not-entered' });
  });

  it('tells a member who is online among the people they share a room with, and when that changes', async () => {
    // ann and ben are still connected from the previous case; cat shares no room with dan.
    let first!: Promise<OnlineRoster>;
    const dan = await online('dan', (socket) => (first = next(socket, CHAT_EVENTS.online)));
    expect((await first).online.map((u) => u.username).sort()).toEqual(['ann', 'ben', 'dan']);

    const benGone = next(dan, CHAT_EVENTS.presence, (p) => p.username === 'ben');
    live.ben!.disconnect();
    expect(await benGone).toEqual({ userId: accounts.ben!.userId, username: 'ben', online: false });
    const benBack = next(dan, CHAT_EVENTS.presence, (p) => p.username === 'ben');
    await online('ben');
    expect(await benBack).toEqual({ userId: accounts.ben!.userId, username: 'ben', online: true });
  });

  it('follows rooms made and joined while connected: owner and joiner learn of each other at once', async () => {
    // cat shares no room with anyone yet; ben is online from the previous case.
    const cat = await online('cat');
    const catRest = browserClient(server);
    await catRest.post('/api/auth/login', { username: 'cat', authKey: accounts.cat!.keys.authKey }).expect(200);
    const newRoom = await createRoom(server, { account: accounts.cat!, rest: catRest, socket: cat }, { name: 'Made while online', history: 'shared' });
    const catSeesBen = next(cat, CHAT_EVENTS.presence, (p) => p.username === 'ben');
    const benSeesCat = next(live.ben!, CHAT_EVENTS.presence, (p) => p.username === 'cat');
    const benRest = browserClient(server);
    await benRest.post('/api/auth/login', { username: 'ben', authKey: accounts.ben!.keys.authKey }).expect(200);
    // Asking is not joining: presence follows the admission.
    await joinAndAdmit(server, { account: accounts.ben!, rest: benRest }, newRoom, { account: accounts.cat!, socket: cat });
    expect(await catSeesBen).toEqual({ userId: accounts.ben!.userId, username: 'ben', online: true });
    expect(await benSeesCat).toEqual({ userId: accounts.cat!.userId, username: 'cat', online: true });
  });

  it('cuts a removed member off at once', async () => {
    const owner = browserClient(server);
    await owner.post('/api/auth/login', { username: 'ann', authKey: accounts.ann!.keys.authKey }).expect(200);
    const dan = await online('dan');
    await ask(dan, CHAT_EVENTS.enter, { code });
    const removed = next(dan, CHAT_EVENTS.removed);
    await owner.post(`/api/rooms/${code}/members/${accounts.dan!.userId}/remove`).expect(204);
    expect(await removed).toEqual({ code, reason: 'removed' });
    const refused = next(dan, CHAT_EVENTS.error);
    dan.emit(CHAT_EVENTS.typing, { code, typing: true });
    expect(await refused).toMatchObject({ code: 'not-entered' });
  });

  it('closes the sockets of a session that signs out, within seconds', async () => {
    const client = browserClient(server);
    await client.post('/api/auth/login', { username: 'cat', authKey: accounts.cat!.keys.authKey }).expect(200);
    const cookie = await sessionCookie(server, accounts.cat!);
    const socket = connect(server, cookie);
    sockets.push(socket);
    await connected(socket);
    const ended = next(socket, CHAT_EVENTS.sessionEnded);
    const closed = new Promise((resolve) => socket.once('disconnect', resolve));
    const { default: request } = await import('supertest');
    await request(server.origin).post('/api/auth/logout').ca(server.certificate).set('Cookie', cookie).set('Origin', server.origin).expect(204);
    expect((await ended).reason).toBe('Your session ended: sign in again');
    await closed;
  });
});

import type { HandshakeRefusal, RoomSummary } from '@conclave/contracts';
import { encryptMessage, textContent } from '@conclave/crypto';
import type { Socket } from 'socket.io-client';
import request from 'supertest';
import { type Account, browserClient, type Client, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { sql } from '../support/db.js';
import { EmbeddedCluster } from '../support/embedded-cluster.js';
import { signRoomGenesis } from '../support/membership.js';
import { type Exit, ServerProcess } from '../support/server.js';
import { ask, CHAT_EVENTS, connect, connected, makeFirstEpoch, sessionCookie } from '../support/sockets.js';

// Short database timeouts, so that a hung PostgreSQL is given up on quickly. A request that hangs
// for as long as the database does runs into REQUEST_TIMEOUT_MS instead and fails the test.
const ENV = { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', CHAT_RATE_LIMIT: 'burst', DATABASE_STATEMENT_TIMEOUT_MS: '1500', DATABASE_CONNECT_TIMEOUT_MS: '1000' };
const REQUEST_TIMEOUT_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Each fault waits out a few timeouts on a loaded machine. */
const FAULT_TEST_MS = 180_000;

/** A signed-in user with a room of their own (epoch 1 made) and two sockets, one entered in the room. */
interface Member {
  account: Account;
  rest: Client;
  room: RoomSummary;
  cookie: string;
  socket: Socket;
  /** Disconnected while the database is down (the last socket of a user going away reads the database). */
  spare: Socket;
  epochKey: CryptoKey;
}

async function member(server: ServerProcess, name: string): Promise<Member> {
  const account = await newAccount(name);
  const rest = await registeredClient(server, account);
  const room = (await rest.post('/api/rooms', { name: `${name}'s room`, history: 'shared' }).expect(201)).body as RoomSummary;
  const cookie = await sessionCookie(server, account);
  const socket = connect(server, cookie);
  const spare = connect(server, cookie);
  await Promise.all([connected(socket), connected(spare)]);
  const entered = await ask(socket, CHAT_EVENTS.enter, { code: room.code });
  if (!entered.ok) throw new Error(entered.error.message);
  await signRoomGenesis(socket, room.id, account);
  const epochKey = await makeFirstEpoch(socket, room.id, account, [account]);
  return { account, rest, room, cookie, socket, spare, epochKey };
}

const envelope = (m: Member, body: string) =>
  encryptMessage({ roomId: m.room.id, senderId: m.account.userId, epoch: 1, epochKey: m.epochKey, senderSig: m.account.identity.sig.privateKey, content: textContent(body) });

/** Still running, and nothing on stderr (where Node reports what crashes a process). */
function expectAlive(server: ServerProcess): void {
  const head = server.stderr.split('\n').slice(0, 12).join('\n');
  if (server.child.exitCode !== null || server.child.signalCode !== null) throw new Error(`the server exited (${server.child.exitCode ?? server.child.signalCode}):\n${head}`);
  expect(head).toBe('');
}

function expectRetryLater(res: request.Response): void {
  expect(res.status).toBe(503);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
}

/** What every client sees while PostgreSQL is down or hung: deliberate 503s, coded socket errors; liveness still answers. */
async function expectUnavailable(server: ServerProcess, m: Member): Promise<void> {
  expectRetryLater(await m.rest.get('/api/rooms').timeout(REQUEST_TIMEOUT_MS));
  expectRetryLater(await m.rest.get(`/api/rooms/${m.room.code}`).timeout(REQUEST_TIMEOUT_MS));
  // Signing out is not reported done while the session row cannot be deleted.
  expectRetryLater(await m.rest.post('/api/auth/logout').timeout(REQUEST_TIMEOUT_MS));
  expectRetryLater(await browserClient(server).post('/api/auth/login', { username: m.account.username, authKey: m.account.keys.authKey }).timeout(REQUEST_TIMEOUT_MS));
  expect((await request(server.origin).get('/api/health').ca(server.certificate).timeout(REQUEST_TIMEOUT_MS)).status).toBe(503);
  expect((await request(server.origin).get('/ping').ca(server.certificate).timeout(REQUEST_TIMEOUT_MS)).status).toBe(200);

  // Two sends waiting on the same batch: both are refused with the code, neither is left hanging.
  const sends = await Promise.all([envelope(m, 'during 1'), envelope(m, 'during 2')].map(async (e) => ask(m.socket, CHAT_EVENTS.send, await e)));
  for (const reply of sends) expect(reply).toMatchObject({ ok: false, error: { code: 'unavailable', event: CHAT_EVENTS.send } });

  // A new socket cannot be authenticated now, and is told why (not that it should sign in).
  const late = connect(server, m.cookie);
  const refusal = await new Promise<Error>((resolve, reject) => {
    late.once('connect_error', resolve);
    late.once('connect', () => reject(new Error('connected while the database was down')));
  });
  expect(refusal.message).toMatch(/^unavailable: /);
  expect((refusal as { data?: HandshakeRefusal }).data?.code).toBe('unavailable');
  late.close();

  // The user's other socket goes away: the presence update reads the database and must fail quietly.
  m.spare.disconnect();
  await sleep(1000);
  expectAlive(server);
}

/** PostgreSQL is back: sign-in, a room request and a socket message work again, with no restart of Conclave. */
async function expectRecovered(server: ServerProcess, m: Member): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await request(server.origin).get('/api/health').ca(server.certificate).timeout(REQUEST_TIMEOUT_MS)).status !== 200) {
    if (Date.now() > deadline) throw new Error('/api/health did not recover within 60 s');
    await sleep(250);
  }
  const again = browserClient(server);
  await again.post('/api/auth/login', { username: m.account.username, authKey: m.account.keys.authKey }).expect(200);
  expect((await again.get(`/api/rooms/${m.room.code}`).expect(200)).body).toMatchObject({ code: m.room.code });
  const sent = await ask(m.socket, CHAT_EVENTS.send, await envelope(m, 'after'));
  expect(sent).toMatchObject({ ok: true, result: { duplicate: false } });
  const fresh = connect(server, m.cookie);
  await connected(fresh);
  fresh.close();
  m.socket.close();
  expectAlive(server);
}

describe('database faults (embedded PostgreSQL; one server per fault)', () => {
  let server: ServerProcess;
  let cluster: EmbeddedCluster;
  let stopped: number[] = [];

  beforeEach(async () => {
    server = await ServerProcess.start({ env: ENV });
    cluster = new EmbeddedCluster(server);
  });

  afterEach(async () => {
    cluster.resume(stopped);
    stopped = [];
    await server.stop();
  });

  it('uses one connection pool, and survives pg_terminate_backend of all its connections', async () => {
    const ann = await member(server, 'terminated');
    expect(await cluster.terminateBackends()).toBeGreaterThan(0);
    await sleep(1000);
    expectAlive(server);
    await expectRecovered(server, ann);

    const names = await sql<{ application_name: string }>(server, `SELECT DISTINCT application_name FROM pg_stat_activity WHERE datname = 'conclave' AND pid <> pg_backend_pid()`);
    expect(names.map((r) => r.application_name)).toEqual(['conclave']);
  }, FAULT_TEST_MS);

  it('answers 503 while PostgreSQL is killed, and recovers when it is started again on the same port', async () => {
    const ben = await member(server, 'killed');
    const { port } = cluster.postmaster;
    await cluster.kill();
    try {
      await expectUnavailable(server, ben);
    } finally {
      await cluster.start(port);
    }
    await expectRecovered(server, ben);
  }, FAULT_TEST_MS);

  it('gives up on a hung PostgreSQL (postmaster and backends stopped) within the configured timeouts, and recovers when it continues', async () => {
    const cat = await member(server, 'hung');
    stopped = cluster.stop();
    try {
      await expectUnavailable(server, cat);
    } finally {
      cluster.resume(stopped);
      stopped = [];
    }
    await expectRecovered(server, cat);
  }, FAULT_TEST_MS);
});

describe('database timeout settings', () => {
  it.each([
    [{ DATABASE_STATEMENT_TIMEOUT_MS: '0' }, 'DATABASE_STATEMENT_TIMEOUT_MS'],
    [{ DATABASE_STATEMENT_TIMEOUT_MS: '10s' }, 'DATABASE_STATEMENT_TIMEOUT_MS'],
    [{ DATABASE_CONNECT_TIMEOUT_MS: '-1' }, 'DATABASE_CONNECT_TIMEOUT_MS'],
  ])('%j stops the process with one line naming %s', async (env, variable) => {
    const server = await ServerProcess.spawn({ env });
    // A server that took the value (or ignored it) is running: stop it rather than wait for ever.
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([server.exited, new Promise<Exit>((resolve) => (timer = setTimeout(() => resolve(server.stop()), 30_000)))]);
    clearTimeout(timer);
    expect(exit.code).toBe(1);
    expect(server.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^conclave: ${variable}: must be a whole number of milliseconds`))]);
  });
});

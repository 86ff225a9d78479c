import { Agent, get as httpGet, request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import { METRICS_PATH, type RoomSummary, type SendResult } from '@conclave/contracts';
import { encryptMessage, textContent } from '@conclave/crypto';
import type { Socket } from 'socket.io-client';
import request from 'supertest';
import { bearer, makeAdmin, mintApiToken } from '../support/api-tokens.js';
import { type Account, type Client, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { createRoom } from '../support/membership.js';
import { freePort } from '../support/ports.js';
import { type Exposition, parseExposition, valueOf } from '../support/prometheus.js';
import { ServerProcess } from '../support/server.js';
import { ask, askRaw, CHAT_EVENTS, connect, connected, makeFirstEpoch, resultOf, sessionCookie } from '../support/sockets.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wrongKey = Buffer.alloc(32, 7).toString('base64');

/** Every metric the README's "Metrics" section lists, with its type. */
const EXPORTED = {
  conclave_connected_sockets: 'gauge',
  conclave_messages_stored_total: 'counter',
  conclave_message_send_ack_seconds: 'histogram',
  conclave_http_request_duration_seconds: 'histogram',
  conclave_database_pool_connections: 'gauge',
  conclave_database_pool_idle_connections: 'gauge',
  conclave_database_pool_waiting_clients: 'gauge',
  conclave_sign_in_failures_total: 'counter',
  conclave_sign_in_lockouts_total: 'counter',
  conclave_nodejs_eventloop_lag_seconds: 'gauge',
  conclave_process_cpu_seconds_total: 'counter',
  conclave_process_resident_memory_bytes: 'gauge',
};

/** GET on the METRICS_ADDRESS listener (plain HTTP). */
function plainGet(port: number, path: string, agent?: Agent): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    httpGet({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    }).on('error', reject);
  });
}

describe('GET /metrics: Prometheus metrics with a metrics:read token or an admin session, and the METRICS_ADDRESS listener', () => {
  let server: ServerProcess;
  let metricsPort: number;
  let ada: Account;
  let adaClient: Client;
  let bob: Account;
  let bobClient: Client;
  let scrapeToken: string;
  let roomsToken: string;

  const main = () => request(server.origin).get(METRICS_PATH).ca(server.certificate);
  const scrape = async (): Promise<Exposition> => parseExposition((await main().set(bearer(scrapeToken)).expect(200)).text);
  /** Polls until `check` holds for a scrape (what a gauge reads settles a moment after the event). */
  const eventually = async (check: (e: Exposition) => boolean): Promise<Exposition> => {
    for (let i = 0; ; i++) {
      const exposition = await scrape();
      if (check(exposition) || i === 50) return exposition;
      await sleep(100);
    }
  };

  beforeAll(async () => {
    metricsPort = await freePort();
    server = await ServerProcess.start({
      env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', LOGIN_MAX_FAILURES: '3', METRICS_ADDRESS: `127.0.0.1:${metricsPort}` },
    });
    [ada, bob] = [await newAccount('ada'), await newAccount('bob')];
    [adaClient, bobClient] = [await registeredClient(server, ada), await registeredClient(server, bob)];
    await makeAdmin(server, ada.userId);
    scrapeToken = (await mintApiToken(server, ada.userId, ['metrics:read'])).token;
    roomsToken = (await mintApiToken(server, ada.userId, ['rooms:read', 'users:read', 'audit:read'])).token;
  });

  afterAll(async () => {
    await server?.stop();
  });

  describe('on the main port (still so with METRICS_ADDRESS set)', () => {
    it('refuses an anonymous scrape (401), a user (403), a token without metrics:read (403) and an expired or revoked one (401)', async () => {
      expect((await main().expect(401)).body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      expect((await bobClient.get(METRICS_PATH).expect(403)).body).toMatchObject({ statusCode: 403, message: 'Only site admins may use the admin API' });
      expect((await main().set(bearer(roomsToken)).expect(403)).body).toMatchObject({ statusCode: 403, message: 'This API token lacks the "metrics:read" scope' });
      const expired = await mintApiToken(server, ada.userId, ['metrics:read'], { expiresAt: new Date(Date.now() - 1000) });
      const revoked = await mintApiToken(server, ada.userId, ['metrics:read'], { revoked: true });
      await main().set(bearer(expired.token)).expect(401);
      await main().set(bearer(revoked.token)).expect(401);
      // None of them got a line of the metrics.
      for (const refused of [await main(), await bobClient.get(METRICS_PATH)]) expect(refused.text).not.toContain('conclave_');
    });

    it('serves a token with metrics:read: the text format, every metric with its help and type', async () => {
      const res = await main().set(bearer(scrapeToken)).expect(200);
      expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-store');
      const exposition = parseExposition(res.text);
      for (const [name, type] of Object.entries(EXPORTED)) {
        expect([name, exposition.type.get(name)]).toEqual([name, type]);
        expect(exposition.help.get(name)).toEqual(expect.stringMatching(/\w+ \w+/));
      }
      // Only our registry: every metric carries the prefix (the default registry's unprefixed ones are not there).
      expect(exposition.samples.filter((s) => !s.name.startsWith('conclave_'))).toEqual([]);
      const pool = { total: valueOf(exposition, 'conclave_database_pool_connections'), idle: valueOf(exposition, 'conclave_database_pool_idle_connections') };
      expect(pool.total).toBeGreaterThanOrEqual(1);
      expect(pool.idle).toBeLessThanOrEqual(pool.total);
      expect(valueOf(exposition, 'conclave_database_pool_waiting_clients')).toBeGreaterThanOrEqual(0);
      expect(valueOf(exposition, 'conclave_nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    });

    it("serves an admin's session, not the web app", async () => {
      const res = await adaClient.get(METRICS_PATH).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(parseExposition(res.text).type.get('conclave_messages_stored_total')).toBe('counter');
    });
  });

  describe('what is counted', () => {
    let socket: Socket;
    let room: RoomSummary;
    let epochKey: CryptoKey;
    const send = async (envelope: object) => askRaw<SendResult>(socket, CHAT_EVENTS.send, envelope);
    const envelope = (body: string, epoch = 1) =>
      encryptMessage({ roomId: room.id, senderId: ada.userId, epoch, epochKey, senderSig: ada.identity.sig.privateKey, content: textContent(body) });

    beforeAll(async () => {
      room = await createRoom(server, { account: ada, rest: adaClient }, { name: 'Counted', history: 'shared' });
      socket = connect(server, await sessionCookie(server, ada));
      await connected(socket);
      resultOf(await ask(socket, CHAT_EVENTS.enter, { code: room.code }));
      epochKey = await makeFirstEpoch(socket, room.id, ada, [ada]);
    });

    afterAll(() => socket?.disconnect());

    it('counts the sockets connected to this instance, at scrape time', async () => {
      // createRoom's own socket may still be closing: the count settles on ada's one.
      expect(valueOf(await eventually((e) => valueOf(e, 'conclave_connected_sockets') === 1), 'conclave_connected_sockets')).toBe(1);
      const second = connect(server, await sessionCookie(server, bob));
      await connected(second);
      expect(valueOf(await eventually((e) => valueOf(e, 'conclave_connected_sockets') === 2), 'conclave_connected_sockets')).toBe(2);
      second.disconnect();
      expect(valueOf(await eventually((e) => valueOf(e, 'conclave_connected_sockets') === 1), 'conclave_connected_sockets')).toBe(1);
    });

    it('counts messages stored (a resend once) and times every send to its acknowledgement by outcome', async () => {
      const acks = (e: Exposition, outcome: string) => valueOf(e, 'conclave_message_send_ack_seconds_count', { outcome });
      const before = await scrape();
      const first = await envelope('one');
      expect(await send(first)).toMatchObject({ ok: true, result: { duplicate: false } });
      // Steady rate: 1 message a second. The next one at once is refused as rate-limited.
      expect(await send(await envelope('too soon'))).toMatchObject({ ok: false, error: { code: 'rate-limited' } });
      await sleep(1100);
      expect(await send(await envelope('two'))).toMatchObject({ ok: true, result: { duplicate: false } });
      await sleep(1100);
      expect(await send(first)).toMatchObject({ ok: true, result: { duplicate: true } });
      await sleep(1100);
      expect(await send(await envelope('from the future', 2))).toMatchObject({ ok: false, error: { code: 'stale-epoch' } });
      await sleep(1100);
      expect(await send({ ...(await envelope('bad')), iv: 'AAAA' })).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });

      const after = await scrape();
      expect(valueOf(after, 'conclave_messages_stored_total') - valueOf(before, 'conclave_messages_stored_total')).toBe(2);
      expect({
        stored: acks(after, 'stored') - acks(before, 'stored'),
        refused: acks(after, 'refused') - acks(before, 'refused'),
        'rate-limited': acks(after, 'rate-limited') - acks(before, 'rate-limited'),
      }).toEqual({ stored: 3, refused: 2, 'rate-limited': 1 });
      // Every acknowledgement falls in the +Inf bucket, and the sum of seconds is positive.
      expect(valueOf(after, 'conclave_message_send_ack_seconds_bucket', { outcome: 'stored', le: '+Inf' })).toBe(acks(after, 'stored'));
      expect(valueOf(after, 'conclave_message_send_ack_seconds_sum', { outcome: 'stored' })).toBeGreaterThan(0);
    });

    it('counts failed sign-ins and the lockout the last one causes', async () => {
      const before = await scrape();
      const login = () => request(server.origin).post('/api/auth/login').ca(server.certificate).send({ username: 'nobody', authKey: wrongKey });
      await login().expect(401);
      await login().expect(401);
      await login().expect(429);
      const after = await scrape();
      expect(valueOf(after, 'conclave_sign_in_failures_total') - valueOf(before, 'conclave_sign_in_failures_total')).toBe(3);
      expect(valueOf(after, 'conclave_sign_in_lockouts_total') - valueOf(before, 'conclave_sign_in_lockouts_total')).toBe(1);
      // While locked out, attempts are refused before any check: not counted as more failures.
      await login().expect(429);
      expect(valueOf(await scrape(), 'conclave_sign_in_failures_total')).toBe(valueOf(after, 'conclave_sign_in_failures_total'));
    });

    it('times HTTP requests by route pattern, never by the URL: guard refusals and unknown paths included', async () => {
      await adaClient.get(`/api/rooms/${room.code}`).expect(200);
      await request(server.origin).get(`/api/rooms/${room.code}`).ca(server.certificate).expect(401);
      await request(server.origin).get(`/api/no-such-route/${room.id}`).ca(server.certificate).expect(404);
      const exposition = await scrape();
      const http = exposition.samples.filter((s) => s.name === 'conclave_http_request_duration_seconds_count');
      const count = (labels: Record<string, string>) => valueOf(exposition, 'conclave_http_request_duration_seconds_count', labels);
      expect(count({ method: 'GET', route: '/api/rooms/:code', status_class: '2xx' })).toBeGreaterThanOrEqual(1);
      expect(count({ method: 'GET', route: '/api/rooms/:code', status_class: '4xx' })).toBeGreaterThanOrEqual(1);
      expect(count({ method: 'POST', route: '/api/auth/login', status_class: '4xx' })).toBeGreaterThanOrEqual(3);
      expect(count({ method: 'GET', route: METRICS_PATH, status_class: '2xx' })).toBeGreaterThanOrEqual(1);
      expect(count({ method: 'GET', route: '(no route)', status_class: '4xx' })).toBeGreaterThanOrEqual(1);
      // No label value carries a room code or an id.
      const values = http.flatMap((s) => Object.values(s.labels));
      expect(values.filter((v) => v.includes(room.code) || v.includes(room.id) || /[0-9a-f]{8}-[0-9a-f]{4}/.test(v))).toEqual([]);
    });
  });

  describe('the METRICS_ADDRESS listener', () => {
    it('serves GET /metrics in plain HTTP without a token', async () => {
      const res = await plainGet(metricsPort, METRICS_PATH);
      expect(res).toMatchObject({ status: 200, type: 'text/plain; version=0.0.4; charset=utf-8' });
      const exposition = parseExposition(res.body);
      for (const name of Object.keys(EXPORTED)) expect(exposition.type.has(name)).toBe(true);
      // The same registry as the main port's.
      expect(valueOf(exposition, 'conclave_messages_stored_total')).toBe(valueOf(await scrape(), 'conclave_messages_stored_total'));
      expect(valueOf(exposition, 'conclave_messages_stored_total')).toBeGreaterThanOrEqual(2);
    });

    it('answers 404 to anything else: no other path, method or part of the app is reachable through it', async () => {
      for (const path of ['/', '/metrics/x', '/api/health', '/ping', '/api/auth/me', `/api/rooms`]) {
        expect([path, (await plainGet(metricsPort, path)).status]).toEqual([path, 404]);
      }
      const post = await new Promise<number>((resolve, reject) => {
        httpRequest({ host: '127.0.0.1', port: metricsPort, path: METRICS_PATH, method: 'POST' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
      expect(post).toBe(404);
    });

    it('closes with the server, even with a scraper’s keep-alive connection open', async () => {
      const agent = new Agent({ keepAlive: true });
      expect((await plainGet(metricsPort, METRICS_PATH, agent)).status).toBe(200);
      expect(await server.stop()).toEqual({ code: 0, signal: null });
      await expect(plainGet(metricsPort, METRICS_PATH)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      agent.destroy();
    });

    it('stops the start with one line naming METRICS_ADDRESS when its port is taken', async () => {
      const taken: Server = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const port = (taken.address() as { port: number }).port;
      try {
        const failed = await ServerProcess.spawn({ dataDir: server.dataDir, env: { ...FAST_AUTH_ENV, METRICS_ADDRESS: `127.0.0.1:${port}` } });
        expect(await failed.exited).toEqual({ code: 1, signal: null });
        expect(failed.stderr).toContain(`conclave: METRICS_ADDRESS: 127.0.0.1:${port} is already in use\n`);
      } finally {
        taken.close();
      }
    });
  });
});

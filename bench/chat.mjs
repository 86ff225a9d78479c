// `npm run bench`: Conclave's chat path against a bare Socket.IO relay, under the same load, on this
// machine. Prints figures; asserts nothing. See README "Performance" for what was measured last.
//   1. rooms of 50 members, offered load stepped up: delivered messages/s, p50/p99 send→deliver, ratio
//   2. 10,000 idle authenticated sockets: server memory per socket (RSS), against the relay's
//   3. a history page in a room of 1,000,000 messages: newest and deep pages, against the bare SQL
//   4. the server's check of every message's signature: CPU per verifyMessageSignature, beside the
//      server's whole CPU per message
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHAT_EVENTS } from '@conclave/contracts';
import { deriveAccountKeys, exportPublicKeys, generateIdentity, importPublicKeys, verifyMessageSignature } from '@conclave/crypto';
import pg from 'pg';
import { admitMembers, api, connect, cpuSeconds, freePorts, makeFirstEpoch, processRss, root, signEnvelope, signUp, sleep, startConclave } from './conclave.mjs';

const ROOM_SIZE = 50;
const STEPS = (process.env.BENCH_STEPS ?? '100,250,500,1000').split(',').map(Number);
/** Each sender sends every 1.1 s, just over the default per-user limit of 1 per second. */
const SEND_INTERVAL_MS = 1100;
const ROOMS = Number(process.env.BENCH_ROOMS ?? Math.ceil((Math.max(...STEPS) * SEND_INTERVAL_MS) / 1000 / 50));
const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 5);
const IDLE_SOCKETS = Number(process.env.BENCH_IDLE_SOCKETS ?? 10_000);
const HISTORY_ROWS = Number(process.env.BENCH_HISTORY_ROWS ?? 1_000_000);
/** A directory: heap snapshots of each server before and after its idle sockets connect. */
const HEAP_SNAPSHOTS = process.env.BENCH_HEAP_SNAPSHOTS;
const log = (...args) => process.stderr.write(args.join(' ') + '\n');
const quantile = (values, q) => (values.length ? [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))] : NaN);

/**
 * V8 heap in use after a full collection, read through the process's inspector (the bench starts its
 * servers with --inspect on a loopback port): the measure of retained JavaScript objects.
 */
async function heapUsed(inspectPort, snapshotFile) {
  const [target] = await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json();
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let id = 0;
  const call = (method) =>
    new Promise((resolve) => {
      const mine = ++id;
      ws.addEventListener('message', function reply(event) {
        const message = JSON.parse(event.data);
        if (message.id !== mine) return;
        ws.removeEventListener('message', reply);
        resolve(message.result);
      });
      ws.send(JSON.stringify({ id: mine, method }));
    });
  await call('HeapProfiler.collectGarbage');
  await call('HeapProfiler.collectGarbage');
  const { usedSize } = await call('Runtime.getHeapUsage');
  if (snapshotFile) {
    // For finding what a socket keeps: open the two snapshots in Chrome DevTools' Memory tab and compare.
    const chunks = [];
    ws.addEventListener('message', (event) => {
      const message = JSON.parse(event.data);
      if (message.method === 'HeapProfiler.addHeapSnapshotChunk') chunks.push(message.params.chunk);
    });
    await call('HeapProfiler.takeHeapSnapshot');
    writeFileSync(snapshotFile, chunks.join(''));
  }
  ws.close();
  return usedSize;
}

async function startRelay(certFile, keyFile) {
  const [port, inspectPort] = await freePorts(2);
  const child = spawn(process.execPath, [`--inspect=127.0.0.1:${inspectPort}`, join(root, 'bench/relay.mjs'), certFile, keyFile, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.resume(); // the inspector's banner
  await new Promise((resolve) => child.stdout.once('data', resolve));
  return { child, base: `https://localhost:${port}`, inspectPort };
}

/** Users, rooms of 50 and their sockets on Conclave; the same room layout on the relay. */
async function populate(conclave) {
  const identity = await generateIdentity();
  const publicKeys = await exportPublicKeys(identity);
  const { authKey, wrapKey } = await deriveAccountKeys('bench user passphrase', 'bench');
  const users = [];
  log(`registering ${ROOMS * ROOM_SIZE} users…`);
  for (let i = 0; i < ROOMS * ROOM_SIZE; i++) {
    const { userId, cookie } = await signUp(conclave, { identity, publicKeys, authKey, wrapKey }, `bench-${i}`);
    users.push({ userId, cookie });
  }
  const rooms = [];
  for (let r = 0; r < ROOMS; r++) {
    const members = users.slice(r * ROOM_SIZE, (r + 1) * ROOM_SIZE);
    const room = (await api(conclave.base, conclave.ca, 'POST', '/api/rooms', { name: `bench ${r}`, history: 'shared' }, members[0].cookie)).body;
    await admitMembers(conclave, room, members, identity, publicKeys);
    await makeFirstEpoch(conclave, room.id, members, identity, publicKeys);
    rooms.push({ code: room.code, id: room.id, members });
  }
  return { users, rooms, identity };
}

const IV = randomBytes(12).toString('base64');
const CT = randomBytes(1040).toString('base64'); // the largest ciphertext a 150-character message can have

/** A signed envelope of epoch 1 whose ciphertext is random bytes of the largest size, which nobody decrypts here. */
function signedEnvelope(roomId, senderId, senderSig) {
  return signEnvelope({ roomId, senderId, epoch: 1, iv: IV, ct: CT }, senderSig);
}

/** Connects every member, enters its room, runs each offered-load step; returns per-step figures. */
/** `cpu()` gives the CPU seconds of the server side so far (for CPU per message). */
async function drive(base, ca, rooms, cpu, senderSig) {
  const sockets = [];
  for (const room of rooms) {
    for (const member of room.members) {
      const socket = await connect(base, ca, member.cookie);
      const entered = await socket.timeout(10_000).emitWithAck(CHAT_EVENTS.enter, { code: room.code });
      sockets.push({ socket, roomId: entered.result.roomId, userId: member.userId });
    }
  }
  const sentAt = new Map();
  let latencies = [];
  let deliveries = 0;
  const delivered = new Set();
  for (const { socket } of sockets) {
    socket.on(CHAT_EVENTS.message, (m) => {
      const t0 = sentAt.get(m.clientMsgId);
      if (t0 === undefined) return;
      latencies.push(performance.now() - t0);
      deliveries++;
      delivered.add(m.clientMsgId);
    });
  }
  const results = [];
  // The first step runs twice: once unrecorded, so neither server is measured while its JIT warms up.
  for (const [index, rate] of [STEPS[0], ...STEPS].entries()) {
    const warmUp = index === 0;
    // Enough senders, spread over the rooms, each sending every SEND_INTERVAL_MS, to offer `rate` per second.
    const count = Math.ceil((rate * SEND_INTERVAL_MS) / 1000);
    const senders = sockets.filter((_, i) => i % Math.max(1, Math.floor(sockets.length / count)) === 0).slice(0, count);
    // Signed before the step, so the load generator's signing is not measured with it.
    const ticks = Math.ceil((STEP_SECONDS * 1000) / SEND_INTERVAL_MS) + 1;
    const envelopes = await Promise.all(senders.map((sender) => Promise.all(Array.from({ length: ticks }, () => signedEnvelope(sender.roomId, sender.userId, senderSig)))));
    latencies = [];
    deliveries = 0;
    delivered.clear();
    let acked = 0;
    let refused = 0;
    const cpuBefore = cpu();
    const started = performance.now();
    const timers = senders.map((sender, i) =>
      setTimeout(function tick() {
        if (performance.now() - started > STEP_SECONDS * 1000) return;
        const envelope = envelopes[i].pop();
        if (!envelope) return;
        sentAt.set(envelope.clientMsgId, performance.now());
        sender.socket.timeout(10_000).emitWithAck(CHAT_EVENTS.send, envelope).then(
          (reply) => (reply.ok ? acked++ : refused++),
          () => refused++,
        );
        timers[i] = setTimeout(tick, SEND_INTERVAL_MS);
      }, (i / senders.length) * SEND_INTERVAL_MS),
    );
    await sleep(STEP_SECONDS * 1000 + 2000);
    timers.forEach(clearTimeout);
    const cpuMs = Object.fromEntries(Object.entries(cpu()).map(([k, v]) => [k, ((v - cpuBefore[k]) * 1000) / Math.max(1, acked)]));
    results.push({
      offered: rate,
      deliveredPerSecond: delivered.size / STEP_SECONDS,
      deliveriesPerSecond: deliveries / STEP_SECONDS,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      acked,
      refused,
      cpuMs,
    });
    log(`  ${base}: ${warmUp ? '(warm-up) ' : ''}offered ${rate}/s → ${(delivered.size / STEP_SECONDS).toFixed(0)} msg/s delivered, p50 ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms, ${acked} acked, ${refused} refused, CPU ms per message: ${Object.entries(cpuMs).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
    if (warmUp) results.pop();
    await sleep(1500); // let the per-user limits reset between steps
  }
  for (const { socket } of sockets) socket.disconnect();
  return results;
}

/** Server memory growth per idle socket: V8 heap after a full collection, and RSS. */
async function idleSockets(server, ca, cookie, name) {
  await sleep(1000);
  const snapshot = (when) => HEAP_SNAPSHOTS && join(HEAP_SNAPSHOTS, `${name}-${when}.heapsnapshot`);
  const heapBefore = await heapUsed(server.inspectPort, snapshot('before'));
  const rssBefore = processRss(server.child.pid);
  const sockets = [];
  for (let i = 0; i < IDLE_SOCKETS; i++) {
    sockets.push(connect(server.base, ca, cookie));
    if (sockets.length % 200 === 0) await Promise.all(sockets.slice(-200));
  }
  await Promise.all(sockets);
  await sleep(3000);
  const heap = (await heapUsed(server.inspectPort, snapshot('after'))) - heapBefore;
  const rss = processRss(server.child.pid) - rssBefore;
  (await Promise.all(sockets)).forEach((s) => s.disconnect());
  return { heap: heap / IDLE_SOCKETS, rss: rss / IDLE_SOCKETS };
}

async function historyPage(conclave, owner) {
  const cookie = owner.cookie;
  const room = (await api(conclave.base, conclave.ca, 'POST', '/api/rooms', { name: 'bench history', history: 'shared' }, cookie)).body;
  const lock = readFileSync(join(conclave.dataDir, 'postgres/postmaster.pid'), 'utf8').split('\n');
  const password = readFileSync(join(conclave.dataDir, 'postgres.secret'), 'utf8').trim();
  const db = new pg.Client({ connectionString: `postgres://conclave:${encodeURIComponent(password)}@127.0.0.1:${lock[3]}/conclave` });
  db.on('error', () => undefined); // the server's shutdown ends this connection too
  await db.connect();
  log(`inserting ${HISTORY_ROWS} messages…`);
  const iv = randomBytes(12).toString('base64');
  const ct = randomBytes(300).toString('base64');
  const sig = randomBytes(64).toString('base64');
  await db.query(
    `INSERT INTO messages (room_id, seq, sender_id, epoch, client_msg_id, iv, ct, sig)
     SELECT $1, s, $2, 1, gen_random_uuid(), $3, $4, $5 FROM generate_series(1, $6::bigint) AS s`,
    [room.id, owner.userId, iv, ct, sig, HISTORY_ROWS],
  );
  await db.query(`UPDATE rooms SET last_seq = $2 WHERE id = $1`, [room.id, HISTORY_ROWS]);
  await db.query('ANALYZE messages');
  const socket = await connect(conclave.base, conclave.ca, cookie);
  await socket.timeout(10_000).emitWithAck(CHAT_EVENTS.enter, { code: room.code });
  const time = async (fn) => {
    const samples = [];
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      await fn();
      samples.push(performance.now() - t);
    }
    return quantile(samples, 0.5);
  };
  const newest = await time(() => socket.timeout(10_000).emitWithAck(CHAT_EVENTS.history, { roomId: room.id }));
  const deep = await time(() => socket.timeout(10_000).emitWithAck(CHAT_EVENTS.history, { roomId: room.id, before: Math.floor(HISTORY_ROWS / 2) }));
  const sqlOnly = await time(() => db.query(`SELECT * FROM messages WHERE room_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT 51`, [room.id, Math.floor(HISTORY_ROWS / 2)]));
  socket.disconnect();
  await db.end();
  return { newest, deep, sqlOnly };
}

/**
 * What the server's signature check costs per message: the same libs/crypto call the server makes
 * (verifyMessageSignature under the sender's imported directory key), one after another in this
 * process, as CPU time (all threads: WebCrypto verifies on the thread pool) per call.
 */
async function signatureCheck(identity, count = 2000) {
  const senderId = randomUUID();
  const roomId = randomUUID();
  const sigKey = (await importPublicKeys(await exportPublicKeys(identity))).sig;
  const envelopes = await Promise.all(Array.from({ length: count }, () => signedEnvelope(roomId, senderId, identity.sig.privateKey)));
  for (const envelope of envelopes.slice(0, 200)) await verifyMessageSignature({ ...envelope, senderId }, sigKey); // warm-up
  const before = process.cpuUsage();
  for (const envelope of envelopes) await verifyMessageSignature({ ...envelope, senderId }, sigKey);
  const { user, system } = process.cpuUsage(before);
  return { count, cpuMicros: (user + system) / count };
}

// Every bench user joins from this one address, and the idle sockets all belong to one user.
const conclave = await startConclave({ env: { ROOM_PROBES_PER_ADDRESS_PER_MINUTE: '1000000', SOCKETS_PER_USER_MAX: String(IDLE_SOCKETS + 100) } });
const relay = await startRelay(join(conclave.dataDir, 'tls/cert.pem'), join(conclave.dataDir, 'tls/key.pem'));
try {
  log(`Conclave ${conclave.base} (pid ${conclave.child.pid}), bare relay ${relay.base} (pid ${relay.child.pid}); Node ${process.versions.node}`);
  const { rooms, identity } = await populate(conclave);
  log('load steps on Conclave…');
  const postmaster = Number(readFileSync(join(conclave.dataDir, 'postgres/postmaster.pid'), 'utf8').split('\n')[0]);
  const ours = await drive(conclave.base, conclave.ca, rooms, () => ({ server: cpuSeconds(conclave.child.pid), postgres: cpuSeconds(postmaster, true), client: cpuSeconds(process.pid) }), identity.sig.privateKey);
  log('load steps on the bare relay…');
  const bare = await drive(relay.base, conclave.ca, rooms.map((r) => ({ ...r, members: r.members.map((m) => ({ ...m })) })), () => ({ server: cpuSeconds(relay.child.pid), client: cpuSeconds(process.pid) }), identity.sig.privateKey);
  log(`${IDLE_SOCKETS} idle sockets…`);
  const perSocket = await idleSockets(conclave, conclave.ca, rooms[0].members[0].cookie, 'conclave');
  const perSocketBare = await idleSockets(relay, conclave.ca, undefined, 'relay');
  const history = await historyPage(conclave, rooms[0].members[0]);
  log('the signature check…');
  const signature = await signatureCheck(identity);
  const top = ours.at(-1);

  const f = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');
  const lines = [
    `Rooms of ${ROOM_SIZE}, ${ROOMS} rooms, ${STEP_SECONDS} s per step, 1040-byte ciphertexts (the 150-character maximum); each sender sends every ${SEND_INTERVAL_MS} ms; "delivered" counts messages that reached the room.`,
    '',
    '| offered msg/s | Conclave delivered msg/s | p50 ms | p99 ms | refused | CPU ms/msg server + PostgreSQL | bare relay delivered msg/s | p50 ms | p99 ms | CPU ms/msg | ratio (delivered) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...ours.map((o, i) => `| ${o.offered} | ${f(o.deliveredPerSecond)} | ${f(o.p50)} | ${f(o.p99)} | ${o.refused} | ${f(o.cpuMs.server, 2)} + ${f(o.cpuMs.postgres, 2)} | ${f(bare[i].deliveredPerSecond)} | ${f(bare[i].p50)} | ${f(bare[i].p99)} | ${f(bare[i].cpuMs.server, 2)} | ${f(o.deliveredPerSecond / bare[i].deliveredPerSecond, 2)} |`),
    '',
    `| ${IDLE_SOCKETS} idle sockets | Conclave | bare relay |`,
    '| --- | ---: | ---: |',
    `| V8 heap per socket (after a full GC) | ${f(perSocket.heap / 1024)} KB | ${f(perSocketBare.heap / 1024)} KB |`,
    `| server RSS per socket | ${f(perSocket.rss / 1024)} KB | ${f(perSocketBare.rss / 1024)} KB |`,
    '',
    `| history page, room of ${HISTORY_ROWS} messages (median of 30) | ms |`,
    '| --- | ---: |',
    `| newest page over the socket | ${f(history.newest, 2)} |`,
    `| page from the middle over the socket | ${f(history.deep, 2)} |`,
    `| the same page as bare SQL (floor) | ${f(history.sqlOnly, 2)} |`,
    '',
    `| signature check of a message (verifyMessageSignature, ${signature.count} in a row, this process) | µs CPU |`,
    '| --- | ---: |',
    `| per message | ${f(signature.cpuMicros)} |`,
    `| Conclave server's whole CPU per message at ${top.offered} msg/s, check included (table above) | ${f(top.cpuMs.server * 1000)} |`,
    `| the check's share of it | ${f((signature.cpuMicros / (top.cpuMs.server * 1000)) * 100)} % |`,
  ];
  console.log(lines.join('\n'));
} catch (err) {
  log(`bench failed: ${err?.stack ?? err}`);
  process.exitCode = 1;
} finally {
  relay.child.kill('SIGTERM');
  conclave.child.kill('SIGTERM');
  await new Promise((r) => conclave.child.once('exit', r));
  rmSync(conclave.dataDir, { recursive: true, force: true });
}

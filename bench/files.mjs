// Part of `npm run bench`: encrypted files through Conclave (docs/protocol.md §10, local storage
// driver) beside a bare Node HTTPS server (bench/bare-files.mjs) on the same certificate, machine and
// run. Prints figures; asserts nothing. See README "Performance" for what was measured last.
//   1. one 8 MiB ciphertext at a time: upload (PUT …/files/:id) and download (POST …/link, then GET
//      the link) in MB/s, median of BENCH_FILE_ROUNDS, against the bare server receiving the same
//      bytes into memory and into a file, and sending that file back
//   2. the server's RSS while BENCH_FILE_IN_FLIGHT (20) uploads of 8 MiB are in flight at once,
//      beside 20 × 8 MiB: an upload is streamed to storage, so it must stay far below that
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHAT_EVENTS, FILE_BODY_TYPE, FILE_PATHS, FILE_PENDING_PER_USER_MAX, FILE_TYPE_PARAM, LIMITS } from '@conclave/contracts';
import { deriveAccountKeys, exportPublicKeys, generateIdentity } from '@conclave/crypto';
import { admitMembers, api, connect, freePorts, makeFirstEpoch, processRss, root, signEnvelope, signUp, sleep, startConclave } from './conclave.mjs';

const ROUNDS = Number(process.env.BENCH_FILE_ROUNDS ?? 7);
const IN_FLIGHT = Number(process.env.BENCH_FILE_IN_FLIGHT ?? 20);
/** The largest upload Conclave takes: an 8 MiB file plus its GCM tag. Random bytes: ciphertext looks no different. */
const CIPHERTEXT = randomBytes(LIMITS.fileCiphertextBytes);
const MIME = 'application/pdf';
const SAMPLE_EVERY_MS = 10;
const MiB = 1024 * 1024;
const log = (...args) => process.stderr.write(args.join(' ') + '\n');
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const mbPerSecond = (ms) => CIPHERTEXT.length / 1e6 / (ms / 1000);

/** One HTTPS request with an optional Buffer body; resolves once the whole answer is in: status, body, ms from start. */
function transfer(url, { method, headers = {}, body, ca, agent }) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { method, ca, agent, headers: body ? { ...headers, 'content-length': body.length } : headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks), ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The answer, if it succeeded (any 2xx: the bench measures speed; the suites check statuses). */
const succeeded = (what, answer) => {
  if (answer.status < 200 || answer.status > 299) throw new Error(`${what}: ${answer.status} ${answer.body.toString().slice(0, 300)}`);
  return answer;
};

async function startBare(certFile, keyFile) {
  const dir = mkdtempSync(join(tmpdir(), 'conclave-bench-bare-'));
  const [port] = await freePorts(1);
  const child = spawn(process.execPath, [join(root, 'bench/bare-files.mjs'), certFile, keyFile, String(port), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => child.stdout.once('data', resolve));
  return { child, base: `https://localhost:${port}`, dir };
}

/** A signed-up owner of a room with its genesis and epoch 1 (file messages are messages: they need a key box). */
async function ownerAndRoom(conclave, username = 'bench-files') {
  const identity = await generateIdentity();
  const publicKeys = await exportPublicKeys(identity);
  const { authKey, wrapKey } = await deriveAccountKeys('bench user passphrase', username);
  const owner = await signUp(conclave, { identity, publicKeys, authKey, wrapKey }, username);
  const created = await api(conclave.base, conclave.ca, 'POST', '/api/rooms', { name: 'bench files', history: 'shared' }, owner.cookie);
  if (created.status !== 201) throw new Error(`create room ${created.status} ${JSON.stringify(created.body)}`);
  const room = created.body;
  await admitMembers(conclave, room, [owner], identity, publicKeys);
  await makeFirstEpoch(conclave, room.id, [owner], identity, publicKeys);
  return { owner, room, identity };
}

/** Conclave's routes, as the web app calls them. */
function conclaveFiles(conclave, owner, room, agent) {
  const headers = { cookie: owner.cookie, origin: conclave.base };
  return {
    upload: async (fileId = randomUUID()) => {
      const url = new URL(`${FILE_PATHS.upload(room.code, fileId)}?${FILE_TYPE_PARAM}=${encodeURIComponent(MIME)}`, conclave.base);
      const answer = await transfer(url, { method: 'PUT', headers: { ...headers, 'content-type': FILE_BODY_TYPE }, body: CIPHERTEXT, ca: conclave.ca, agent });
      return { ...succeeded('upload', answer), fileId };
    },
    link: async (fileId) => {
      const started = performance.now();
      const answer = await transfer(new URL(FILE_PATHS.link(room.code, fileId), conclave.base), { method: 'POST', headers, ca: conclave.ca, agent });
      return { ...JSON.parse(succeeded('link', answer).body.toString()), ms: performance.now() - started };
    },
    download: async (url) => succeeded('download', await transfer(new URL(url, conclave.base), { method: 'GET', headers, ca: conclave.ca, agent })),
  };
}

/** Sends the message that carries `fileId`, so that links to it are issued (a pending upload has none). */
async function attach(conclave, owner, room, identity, fileId) {
  const socket = await connect(conclave.base, conclave.ca, owner.cookie);
  try {
    const entered = await socket.timeout(10_000).emitWithAck(CHAT_EVENTS.enter, { code: room.code });
    if (!entered.ok) throw new Error(`room:enter ${JSON.stringify(entered.error)}`);
    const iv = randomBytes(12).toString('base64');
    const ct = randomBytes(600).toString('base64'); // a file message's content: the descriptor, which nobody decrypts here
    const envelope = await signEnvelope({ roomId: room.id, senderId: owner.userId, epoch: 1, iv, ct }, identity.sig.privateKey);
    const sent = await socket.timeout(10_000).emitWithAck(CHAT_EVENTS.send, { ...envelope, fileId });
    if (!sent.ok) throw new Error(`message:send with a file ${JSON.stringify(sent.error)}`);
  } finally {
    socket.disconnect();
  }
}

/**
 * The process's RSS while `send()` runs IN_FLIGHT times at once: before, the peak of VmRSS sampled
 * every SAMPLE_EVERY_MS, the kernel's own peak (VmHWM, reset just before; sampling can miss a short
 * peak) and 2 s after.
 */
async function rssWhileInFlight(pid, send) {
  await sleep(2000);
  const before = processRss(pid);
  writeFileSync(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM to the current RSS
  let sampled = before;
  const sampler = setInterval(() => (sampled = Math.max(sampled, processRss(pid))), SAMPLE_EVERY_MS);
  const started = performance.now();
  const answers = await Promise.allSettled(Array.from({ length: IN_FLIGHT }, () => send()));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  sampled = Math.max(sampled, processRss(pid));
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  const failed = answers.filter((a) => a.status === 'rejected').map((a) => a.reason.message);
  await sleep(2000);
  return { before, sampled, hwm, after: processRss(pid), seconds, accepted: IN_FLIGHT - failed.length, failed };
}

const quota = Math.ceil(((ROUNDS + IN_FLIGHT + 4) * CIPHERTEXT.length) / MiB);
const conclave = await startConclave({ env: { FILE_QUOTA_MB_PER_USER: String(quota) } });
const bare = await startBare(join(conclave.dataDir, 'tls/cert.pem'), join(conclave.dataDir, 'tls/key.pem'));
// One kept-alive connection per server for the one-at-a-time rounds, as a browser reuses its connection.
const agents = [conclave, bare].map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
const burstAgents = [conclave, bare].map(() => new Agent({ keepAlive: true, maxSockets: IN_FLIGHT }));
try {
  log(`files: Conclave ${conclave.base} (pid ${conclave.child.pid}), bare HTTPS ${bare.base} (pid ${bare.child.pid}); Node ${process.versions.node}`);
  const { owner, room, identity } = await ownerAndRoom(conclave);
  const ours = conclaveFiles(conclave, owner, room, agents[0]);
  const attached = await ours.upload();
  await attach(conclave, owner, room, identity, attached.fileId);
  const bareFile = randomUUID();
  const bareUpload = async (where, fileId, agent) => succeeded(`bare ${where}`, await transfer(new URL(`/${where}/${fileId}`, bare.base), { method: 'PUT', body: CIPHERTEXT, ca: conclave.ca, agent }));
  await bareUpload('disk', bareFile, agents[1]);

  const samples = { upload: [], link: [], download: [], bareMemory: [], bareDisk: [], bareDownload: [] };
  // Interleaved, so that whatever else the machine does weighs on both alike. Round 0 warms up and is not recorded.
  for (let round = 0; round <= ROUNDS; round++) {
    const figures = {
      upload: (await ours.upload()).ms,
      bareMemory: (await bareUpload('memory', randomUUID(), agents[1])).ms,
      bareDisk: (await bareUpload('disk', randomUUID(), agents[1])).ms,
    };
    const link = await ours.link(attached.fileId);
    const download = await ours.download(link.url);
    if (!download.body.equals(CIPHERTEXT)) throw new Error('Conclave sent back other bytes than were uploaded');
    const bareDownload = succeeded('bare download', await transfer(new URL(`/disk/${bareFile}`, bare.base), { method: 'GET', ca: conclave.ca, agent: agents[1] }));
    Object.assign(figures, { link: link.ms, download: download.ms, bareDownload: bareDownload.ms });
    log(`  round ${round}${round ? '' : ' (warm-up)'}: ${Object.entries(figures).map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(', ')}`);
    if (round) for (const [k, v] of Object.entries(figures)) samples[k].push(v);
  }

  // One account may have FILE_PENDING_PER_USER_MAX uploads waiting for their message (the rounds left
  // theirs waiting): the burst goes to fresh accounts, that many uploads each.
  const bursters = [];
  for (let i = 0; i < Math.ceil(IN_FLIGHT / FILE_PENDING_PER_USER_MAX); i++) {
    const burster = await ownerAndRoom(conclave, `bench-burst-${i}`);
    bursters.push(conclaveFiles(conclave, burster.owner, burster.room, burstAgents[0]));
  }
  log(`${IN_FLIGHT} uploads in flight on Conclave…`);
  let sent = 0;
  const burst = await rssWhileInFlight(conclave.child.pid, () => bursters[Math.floor(sent++ / FILE_PENDING_PER_USER_MAX)].upload());
  log(`${IN_FLIGHT} uploads in flight on the bare server…`);
  const bareBurst = await rssWhileInFlight(bare.child.pid, () => bareUpload('disk', randomUUID(), burstAgents[1]));
  for (const b of [burst, bareBurst]) for (const reason of b.failed) log(`  failed: ${reason}`);

  const f = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');
  const rate = (key) => f(mbPerSecond(median(samples[key])));
  const mib = (bytes) => `${f(bytes / MiB)} MiB`;
  const aggregate = (b) => `${f(b.seconds, 2)} s (${f((IN_FLIGHT * CIPHERTEXT.length) / 1e6 / b.seconds)} MB/s together)`;
  const lines = [
    `One ${CIPHERTEXT.length}-byte ciphertext (8 MiB + the GCM tag, LIMITS.fileCiphertextBytes) at a time over one kept-alive connection; median of ${ROUNDS} rounds after a warm-up; MB = 10^6 bytes. Conclave: local storage driver, embedded PostgreSQL. Bare: a Node HTTPS server with the same certificate.`,
    '',
    '| one 8 MiB file | Conclave MB/s | bare HTTPS, into memory | bare HTTPS, into a file (flushed, renamed) | Conclave / bare into a file |',
    '| --- | ---: | ---: | ---: | ---: |',
    `| upload (PUT) | ${rate('upload')} | ${rate('bareMemory')} | ${rate('bareDisk')} | ${f(median(samples.bareDisk) / median(samples.upload), 2)} |`,
    `| download (GET the link) | ${rate('download')} | – | ${rate('bareDownload')} (from the file) | ${f(median(samples.bareDownload) / median(samples.download), 2)} |`,
    `| asking for the link (POST …/link), ms | ${f(median(samples.link))} | | | |`,
    '',
    `| ${IN_FLIGHT} uploads of 8 MiB in flight at once | Conclave | bare HTTPS, into a file |`,
    '| --- | ---: | ---: |',
    `| server RSS before | ${mib(burst.before)} | ${mib(bareBurst.before)} |`,
    `| RSS growth, peak sampled every ${SAMPLE_EVERY_MS} ms | ${mib(burst.sampled - burst.before)} | ${mib(bareBurst.sampled - bareBurst.before)} |`,
    `| RSS growth, peak by the kernel (VmHWM) | ${mib(burst.hwm - burst.before)} | ${mib(bareBurst.hwm - bareBurst.before)} |`,
    `| RSS growth 2 s after | ${mib(burst.after - burst.before)} | ${mib(bareBurst.after - bareBurst.before)} |`,
    `| for scale: ${IN_FLIGHT} × 8 MiB | ${mib(IN_FLIGHT * CIPHERTEXT.length)} | |`,
    `| all ${IN_FLIGHT} done in | ${aggregate(burst)} | ${aggregate(bareBurst)} |`,
    `| accepted | ${burst.accepted}/${IN_FLIGHT} | ${bareBurst.accepted}/${IN_FLIGHT} |`,
  ];
  console.log(lines.join('\n'));
} catch (err) {
  log(`bench failed: ${err?.stack ?? err}`);
  process.exitCode = 1;
} finally {
  [...agents, ...burstAgents].forEach((agent) => agent.destroy());
  bare.child.kill('SIGTERM');
  conclave.child.kill('SIGTERM');
  await new Promise((r) => conclave.child.once('exit', r));
  rmSync(conclave.dataDir, { recursive: true, force: true });
  rmSync(bare.dir, { recursive: true, force: true });
}

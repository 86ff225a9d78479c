// What the benches share: free ports, a small HTTPS JSON client, starting Conclave on a throw-away DATA_DIR,
// signing up as a browser does, sockets.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHAT_EVENTS } from '@conclave/contracts';
import { announceEpoch, generateEpochKey, importPublicKeys, messageAad, sealKeyBackup, sealKeyBox, signAdmission, signGenesis } from '@conclave/crypto';
import { solveChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import { io } from 'socket.io-client';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Distinct free ports, all held until every one is chosen (a port just closed can be handed out again). */
export async function freePorts(count) {
  const servers = [];
  for (let i = 0; i < count; i++) servers.push(await new Promise((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => resolve(s)); }));
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  return ports;
}

/**
 * Minimal HTTPS JSON client verifying the server's own certificate. `cookie` is the session cookie
 * ("name=value") a response set, `cookies` every cookie it set, by name.
 */
export function api(base, ca, method, path, body, cookie, agent) {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const req = request(url, { method, ca, agent, headers: { 'content-type': 'application/json', origin: base, ...(cookie ? { cookie } : {}) } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        const cookies = Object.fromEntries([res.headers['set-cookie'] ?? []].flat().map((c) => c.split(';')[0].split(/=(.*)/s).slice(0, 2)));
        const session = cookies['__Host-conclave.sid'];
        resolve({ status: res.statusCode, body: text ? JSON.parse(text) : undefined, cookie: session && `__Host-conclave.sid=${session}`, cookies });
      });
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

/**
 * Conclave from apps/api/dist on free ports and a new DATA_DIR, with the embedded PostgreSQL, a trivial
 * captcha and no sign-in limits in the way. `env` overrides; `nodeOptions` is the server's NODE_OPTIONS
 * (default BENCH_SERVER_NODE_OPTIONS).
 */
export async function startConclave({ env = {}, nodeOptions = process.env.BENCH_SERVER_NODE_OPTIONS } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'conclave-bench-'));
  const [port, inspectPort] = await freePorts(2);
  const child = spawn(process.execPath, [`--inspect=127.0.0.1:${inspectPort}`, join(root, 'apps/api/dist/main.js')], {
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, PORT: String(port), HTTP_PORT: '0', NODE_ENV: 'production', LOG_LEVEL: 'warn',
      ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
      ALTCHA_COST: '1', ALTCHA_MAX_COUNTER: '4', BCRYPT_COST: '4', REGISTER_LIMIT_PER_HOUR: '1000000', LOGIN_MAX_FAILURES: '1000000',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `https://localhost:${port}`;
  for (let i = 0; i < 200; i++) {
    await sleep(150);
    try {
      const ca = readFileSync(join(dataDir, 'tls/cert.pem'));
      if ((await api(base, ca, 'GET', '/ping')).status === 200) return { child, base, ca, dataDir, inspectPort };
    } catch { /* not up yet */ }
  }
  throw new Error('Conclave did not start');
}

/** The resident set size of process `pid` in bytes, from /proc. */
export function processRss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

/** CPU seconds (user + system) used so far by `pid` and, with `children`, by the processes it started. */
export function cpuSeconds(pid, children = false) {
  const read = (p) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    } catch {
      return undefined; // gone
    }
  };
  const ticks = (fields) => (fields ? Number(fields[11]) + Number(fields[12]) : 0);
  // cutime/cstime: children that already exited and were waited for (PostgreSQL's ended backends).
  const own = read(pid);
  let total = ticks(own) + (children && own ? Number(own[13]) + Number(own[14]) : 0);
  if (children) for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) if (read(p)?.[1] === String(pid)) total += ticks(read(p));
  return total / 100; // USER_HZ
}

/**
 * Signs up `username` as a browser does (captcha solved, key backup sealed) with `keys`
 * ({identity, publicKeys, authKey, wrapKey}, which the benches share between users), then signs in.
 */
export async function signUp(server, keys, username) {
  const userId = randomUUID();
  const challenge = (await api(server.base, server.ca, 'GET', '/api/auth/captcha')).body.challenge;
  const solution = await solveChallenge({ challenge, deriveKey });
  const captcha = Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
  const keyBackup = await sealKeyBackup(keys.identity, keys.wrapKey, userId);
  const reg = await api(server.base, server.ca, 'POST', '/api/auth/register', { userId, username, authKey: keys.authKey, publicKeys: keys.publicKeys, keyBackup, captcha });
  if (reg.status !== 201) throw new Error(`register ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await api(server.base, server.ca, 'POST', '/api/auth/login', { username, authKey: keys.authKey });
  if (login.status !== 200) throw new Error(`login ${login.status} ${JSON.stringify(login.body)}`);
  return { userId, username, cookie: login.cookie, cookies: login.cookies };
}

/** A socket.io-client socket over wss, signed in by `cookie`, verifying the server's certificate. */
export function connect(base, ca, cookie) {
  return new Promise((resolve, reject) => {
    const socket = io(base, { transports: ['websocket'], ca, extraHeaders: cookie ? { cookie, origin: base } : { origin: base }, reconnection: false, forceNew: true });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

/** As browsers do: the owner signs the room's genesis, every other member asks to join and the owner admits them (signed admissions). */
export async function admitMembers(conclave, room, members, identity, publicKeys) {
  const [owner] = members;
  const socket = await connect(conclave.base, conclave.ca, owner.cookie);
  try {
    const ack = async (event, payload) => {
      const reply = await socket.timeout(10_000).emitWithAck(event, payload);
      if (!reply.ok) throw new Error(`${event} ${JSON.stringify(reply.error)}`);
    };
    const genesis = await signGenesis({ roomId: room.id, creatorId: owner.userId, creatorKeys: publicKeys, creatorSig: identity.sig.privateKey });
    await ack(CHAT_EVENTS.genesis, { roomId: room.id, genesis, admissions: [] });
    for (const m of members.slice(1)) {
      const asked = await api(conclave.base, conclave.ca, 'POST', `/api/rooms/${room.code}/join`, {}, m.cookie);
      if (asked.status !== 200) throw new Error(`join ${asked.status} ${JSON.stringify(asked.body)}`);
      const admission = await signAdmission({ roomId: room.id, memberId: m.userId, memberKeys: publicKeys, admitterId: owner.userId, via: 'approval', admitterSig: identity.sig.privateKey });
      await ack(CHAT_EVENTS.admissionGrant, { roomId: room.id, admission });
    }
  } finally {
    socket.disconnect();
  }
}

/** The owner makes epoch 1 with its signed announcement and a box for every member, as a client does (senders need a box). */
export async function makeFirstEpoch(conclave, roomId, members, identity, publicKeys) {
  const epochKey = await generateEpochKey();
  const recipientEnc = (await importPublicKeys(publicKeys)).enc;
  const [owner] = members;
  const boxes = await Promise.all(
    members.map((m) => sealKeyBox({ roomId, epoch: 1, epochKey, recipientId: m.userId, recipientEnc, sharerId: owner.userId, sharerSig: identity.sig.privateKey })),
  );
  const announcement = await announceEpoch({ roomId, epoch: 1, makerId: owner.userId, epochKey, makerSig: identity.sig.privateKey });
  const socket = await connect(conclave.base, conclave.ca, owner.cookie);
  const reply = await socket.timeout(10_000).emitWithAck(CHAT_EVENTS.newEpoch, { roomId, epoch: 1, boxes, announcement });
  socket.disconnect();
  if (!reply.ok) throw new Error(`key:new-epoch ${JSON.stringify(reply.error)}`);
}

/**
 * An envelope signed as a client signs one (ECDSA over aad|iv|ct, libs/crypto README §4), so the
 * server's signature check passes; `iv` and `ct` (base64) may be random bytes nobody decrypts.
 */
export async function signEnvelope({ roomId, senderId, epoch, iv, ct }, senderSig) {
  const clientMsgId = randomUUID();
  const signed = new TextEncoder().encode(`${messageAad(roomId, senderId, epoch, clientMsgId)}|${iv}|${ct}`);
  const sig = Buffer.from(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, senderSig, signed)).toString('base64');
  return { roomId, epoch, clientMsgId, iv, ct, sig };
}

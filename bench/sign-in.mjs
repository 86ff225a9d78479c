// Part of `npm run bench`: does a burst of sign-ins stall the event loop? /ping (no database, no
// work) is timed while the server is idle and while 40 users sign in at once, on Conclave as built
// (native bcrypt, hashing on libuv's thread pool) and on the same build made to load bcryptjs (pure
// JavaScript, hashing on the event loop: how Conclave hashed before). Prints figures; asserts nothing.
import { Agent } from 'node:https';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { deriveAccountKeys, exportPublicKeys, generateIdentity } from '@conclave/crypto';
import { api, root, signUp, sleep, startConclave } from './conclave.mjs';

const SIGN_INS = Number(process.env.BENCH_SIGN_INS ?? 40);
/** /ping is sent every PING_EVERY_MS whether or not the last one came back, so a stall delays every ping sent during it. */
const PING_EVERY_MS = 10;
const IDLE_MS = 3000;
const log = (...args) => process.stderr.write(args.join(' ') + '\n');
const quantile = (values, q) => (values.length ? [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))] : NaN);

/** Times /ping every PING_EVERY_MS until `until` settles; the latencies in ms. */
async function pingWhile(server, agent, until) {
  const latencies = [];
  const inFlight = [];
  let done = false;
  until.finally(() => (done = true));
  while (!done) {
    const sent = performance.now();
    inFlight.push(api(server.base, server.ca, 'GET', '/ping', undefined, undefined, agent).then(() => latencies.push(performance.now() - sent)));
    await sleep(PING_EVERY_MS);
  }
  await Promise.all(inFlight);
  return latencies;
}

/** Registers SIGN_INS users and signs each in once, as a browser would have: their device tokens. */
async function populate(server) {
  const identity = await generateIdentity();
  const publicKeys = await exportPublicKeys(identity);
  const { authKey, wrapKey } = await deriveAccountKeys('bench user passphrase', 'bench');
  const users = [];
  for (let i = 0; i < SIGN_INS; i++) {
    const { username, cookies } = await signUp(server, { identity, publicKeys, authKey, wrapKey }, `bench-${i}`);
    users.push({ username, authKey, device: `__Host-conclave.device=${cookies['__Host-conclave.device']}` });
  }
  return users;
}

async function measure(label, nodeOptions) {
  // The production bcrypt cost (BCRYPT_COST default, 11): what a real sign-in costs.
  const server = await startConclave({ env: { BCRYPT_COST: '11' }, nodeOptions });
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  try {
    log(`${label}: Conclave ${server.base} (pid ${server.child.pid}), registering ${SIGN_INS} users at bcrypt cost 11…`);
    const users = await populate(server);
    await pingWhile(server, agent, sleep(1000)); // warm-up: connections, JIT
    const idle = await pingWhile(server, agent, sleep(IDLE_MS));
    const started = performance.now();
    const burst = Promise.all(users.map((u) => api(server.base, server.ca, 'POST', '/api/auth/login', { username: u.username, authKey: u.authKey }, u.device)));
    const during = await pingWhile(server, agent, burst);
    const seconds = (performance.now() - started) / 1000;
    const signedIn = (await burst).filter((r) => r.status === 200).length;
    log(`${label}: ${signedIn}/${SIGN_INS} signed in within ${seconds.toFixed(2)} s; ${idle.length} pings idle, ${during.length} during the burst`);
    return { label, idle, during, seconds, signedIn };
  } finally {
    agent.destroy();
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
    rmSync(server.dataDir, { recursive: true, force: true });
  }
}

try {
  const after = await measure('native bcrypt', process.env.BENCH_SERVER_NODE_OPTIONS);
  const before = await measure('bcryptjs', [process.env.BENCH_SERVER_NODE_OPTIONS, `--import=${join(root, 'bench/pure-js-bcrypt.mjs')}`].filter(Boolean).join(' '));
  const f = (n) => (Number.isFinite(n) ? n.toFixed(1) : '–');
  const row = (r) => `| ${r.label} | ${f(quantile(r.idle, 0.5))} | ${f(quantile(r.idle, 0.99))} | ${f(quantile(r.during, 0.5))} | ${f(quantile(r.during, 0.99))} | ${f(Math.max(...r.during))} | ${r.signedIn}/${SIGN_INS} in ${r.seconds.toFixed(2)} s |`;
  console.log(
    [
      `/ping latency (ms) while idle and during ${SIGN_INS} simultaneous sign-ins (bcrypt cost 11, one /ping every ${PING_EVERY_MS} ms):`,
      '',
      '| hashing | idle p50 | idle p99 | burst p50 | burst p99 | burst max | sign-ins |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      row(after),
      row(before),
    ].join('\n'),
  );
} catch (err) {
  log(`bench failed: ${err?.stack ?? err}`);
  process.exitCode = 1;
}

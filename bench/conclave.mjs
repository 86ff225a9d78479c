// What the benches share: free ports, a small HTTPS JSON client, starting Conclave on a throw-away DATA_DIR.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

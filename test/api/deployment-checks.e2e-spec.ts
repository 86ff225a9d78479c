import { generateKeyPairSync, createPrivateKey, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import request from 'supertest';
import { freePort } from '../support/ports.js';
import { newDataDir, ServerProcess } from '../support/server.js';

const DAY = 86_400_000;
const dir = newDataDir();

/** A certificate for localhost valid from `from` to `to` (ms since 1970), and its key, as files. */
async function certificate(name: string, from: number, to: number) {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    notBeforeDate: new Date(from),
    notAfterDate: new Date(to),
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] }],
  });
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  writeFileSync(cert, pems.cert);
  writeFileSync(key, pems.private, { mode: 0o600 });
  return { cert, key, pem: pems.cert, privatePem: pems.private };
}

async function refused(env: Record<string, string>): Promise<string> {
  const server = await ServerProcess.spawn({ env });
  expect((await server.exited).code).toBe(1);
  expect(server.stderr.trim().split('\n')).toHaveLength(1);
  return server.stderr.trim();
}

/** The warnings this part of the start-up logs (JSON log lines at level warn). */
const warnings = (server: ServerProcess) =>
  server.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .filter((line) => line.level === 40 && /^(TLS_CERT_FILE|PUBLIC_ORIGIN|METRICS_ADDRESS)\b/.test(line.msg))
    .map((line) => line.msg);

/**
 * GET /api/health from a server whose certificate has expired: no client accepts it, so the test
 * pins it by fingerprint instead of checking it against a CA.
 */
function healthPinned(server: ServerProcess, pem: string): Promise<{ status: number; body: { status: string; details: Record<string, Record<string, unknown>> } }> {
  const fingerprint = new X509Certificate(pem).fingerprint256;
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: 'localhost', port: server.port, path: '/api/health', rejectUnauthorized: false }, (res) => {
      if ((res.socket as TLSSocket).getPeerCertificate().fingerprint256 !== fingerprint) return reject(new Error('served another certificate'));
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(body) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('TLS_KEY_FILE', () => {
  it('is named when the key is encrypted (PKCS#8 or traditional PEM)', async () => {
    const files = await certificate('encrypted', Date.now() - DAY, Date.now() + 365 * DAY);
    const pkcs8 = join(dir, 'encrypted-pkcs8.key');
    writeFileSync(pkcs8, createPrivateKey(files.privatePem).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'operator' }));
    expect(await refused({ TLS_CERT_FILE: files.cert, TLS_KEY_FILE: pkcs8 })).toBe(
      `conclave: TLS_KEY_FILE: ${pkcs8} is encrypted: Conclave needs the key without a passphrase (openssl pkey -in ${pkcs8} -out plain.pem), readable by its user only`,
    );
    const traditional = join(dir, 'encrypted-rsa.key');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(traditional, privateKey.export({ format: 'pem', type: 'pkcs1', cipher: 'aes-128-cbc', passphrase: 'operator' }));
    expect(await refused({ TLS_CERT_FILE: files.cert, TLS_KEY_FILE: traditional })).toMatch(/^conclave: TLS_KEY_FILE: \S+encrypted-rsa\.key is encrypted: /);
  });

  it('is named when the file holds no key, or cannot be read', async () => {
    const files = await certificate('swapped', Date.now() - DAY, Date.now() + 365 * DAY);
    expect(await refused({ TLS_CERT_FILE: files.cert, TLS_KEY_FILE: files.cert })).toMatch(new RegExp(`^conclave: TLS_KEY_FILE: ${files.cert} is not a PEM private key \\(`));
    expect(await refused({ TLS_CERT_FILE: files.cert, TLS_KEY_FILE: dir })).toBe(`conclave: TLS_KEY_FILE: cannot read ${dir} (EISDIR)`);
  });
});

describe('a configured certificate near or past its end', () => {
  it('expiring within 30 days: a warning at start, and /api/health degraded (still 200) with the date', async () => {
    const files = await certificate('expiring', Date.now() - DAY, Date.now() + 10 * DAY);
    const server = await ServerProcess.start({ env: { TLS_CERT_FILE: files.cert, TLS_KEY_FILE: files.key, PUBLIC_ORIGIN: 'https://chat.example.com' } });
    try {
      const validTo = new X509Certificate(files.pem).validToDate.toISOString();
      expect(warnings(server)).toEqual([
        `TLS_CERT_FILE: the certificate expires on ${validTo} (in 9 days): renew it and restart Conclave to serve the new one`,
      ]);
      const res = await request(server.origin).get('/api/health').ca(files.pem).expect(200);
      expect(res.body.status).toBe('degraded');
      expect(res.body.details.tls).toEqual({ status: 'degraded', validTo, daysLeft: 9, message: expect.stringContaining('expires on') });
    } finally {
      await server.stop();
    }
  });

  it('expired: a warning at start, and /api/health 503 with the tls check down', async () => {
    const files = await certificate('expired', Date.now() - 60 * DAY, Date.now() - DAY);
    const server = await ServerProcess.start({ env: { TLS_CERT_FILE: files.cert, TLS_KEY_FILE: files.key, PUBLIC_ORIGIN: 'https://chat.example.com' } });
    try {
      const validTo = new X509Certificate(files.pem).validToDate.toISOString();
      expect(warnings(server)).toEqual([`TLS_CERT_FILE: the certificate expired on ${validTo}; browsers refuse it: renew it and restart Conclave`]);
      const res = await healthPinned(server, files.pem);
      expect(res.status).toBe(503);
      expect(res.body.details.tls).toMatchObject({ status: 'down', validTo, daysLeft: -2 });
      expect(res.body.details.database).toMatchObject({ status: 'up' });
    } finally {
      await server.stop();
    }
  });

  it('valid for longer: no warning, /api/health up with the date', async () => {
    const files = await certificate('fine', Date.now() - DAY, Date.now() + 90 * DAY);
    const server = await ServerProcess.start({ env: { TLS_CERT_FILE: files.cert, TLS_KEY_FILE: files.key, PUBLIC_ORIGIN: 'https://chat.example.com' } });
    try {
      expect(warnings(server)).toEqual([]);
      const res = await request(server.origin).get('/api/health').ca(files.pem).expect(200);
      expect(res.body).toMatchObject({ status: 'ok', details: { tls: { status: 'up', daysLeft: 89 } } });
    } finally {
      await server.stop();
    }
  });
});

describe('PUBLIC_ORIGIN', () => {
  it('unset in production: a warning at start that redirects and the origin check trust the Host header', async () => {
    const server = await ServerProcess.start();
    try {
      expect(warnings(server)).toEqual([
        "PUBLIC_ORIGIN is not set: redirects to HTTPS and the cross-site (Origin) check trust each request's Host header. Set it to the address users open, e.g. PUBLIC_ORIGIN=https://chat.example.com",
      ]);
      // The self-signed certificate is Conclave's own: nothing to report on it.
      expect((await request(server.origin).get('/api/health').ca(server.certificate).expect(200)).body.details.tls).toBeUndefined();
    } finally {
      await server.stop();
    }
  });

  it('unset in development: no warning', async () => {
    const server = await ServerProcess.start({ env: { NODE_ENV: 'development' } });
    try {
      expect(server.stdout).toMatch(/Conclave listening/);
      expect(server.stdout).not.toMatch(/PUBLIC_ORIGIN/);
    } finally {
      await server.stop();
    }
  });
});

describe('METRICS_ADDRESS', () => {
  // In development (no PUBLIC_ORIGIN warning beside it), with the production's JSON log lines to read.
  it('on every interface: a warning at start that the metrics are served without a token to whoever reaches them', async () => {
    const port = await freePort();
    const server = await ServerProcess.start({ env: { NODE_ENV: 'development', LOG_FORMAT: 'json', METRICS_ADDRESS: `0.0.0.0:${port}` } });
    try {
      expect(warnings(server)).toEqual([
        `METRICS_ADDRESS=0.0.0.0:${port} serves the metrics without a token on an address that is neither loopback nor private: anyone who reaches port ${port} reads them. Bind it to 127.0.0.1 or an address of a private network (10/8, 172.16/12, 192.168/16, fc00::/7), or leave it unset and scrape with a metrics:read token`,
      ]);
    } finally {
      await server.stop();
    }
  });

  it('on loopback (an address or localhost): no warning', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const server = await ServerProcess.start({ env: { NODE_ENV: 'development', LOG_FORMAT: 'json', METRICS_ADDRESS: `${host}:${await freePort()}` } });
      try {
        expect(server.stdout).toMatch(/Conclave listening/);
        expect(warnings(server)).toEqual([]);
      } finally {
        await server.stop();
      }
    }
  });
});

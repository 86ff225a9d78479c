import { writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import request from 'supertest';
import { freePort } from '../support/ports.js';
import { processesMentioning } from '../support/processes.js';
import { tlsHandshake } from '../support/raw.js';
import { newDataDir, ServerProcess } from '../support/server.js';

/** Starts with a bad environment; returns the exit code and stderr. */
async function refused(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const server = await ServerProcess.spawn({ env });
  const exit = await server.exited;
  return { code: exit.code, stderr: server.stderr };
}

async function certificateFiles(dir: string, name: string) {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] }],
  });
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  writeFileSync(cert, pems.cert);
  writeFileSync(key, pems.private);
  return { cert, key, pem: pems.cert };
}

describe('configuration is validated once at start', () => {
  const dir = newDataDir();

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ HTTP_PORT: '-1' }, 'HTTP_PORT'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ PUBLIC_ORIGIN: 'http://chat.example.com' }, 'PUBLIC_ORIGIN'],
    [{ DATABASE_URL: 'mysql://root@localhost/conclave' }, 'DATABASE_URL'],
    [{ TLS_CERT_FILE: '/nonexistent/cert.pem', TLS_KEY_FILE: '/nonexistent/key.pem' }, 'TLS_CERT_FILE'],
    [{ TLS_CERT_FILE: '/nonexistent/cert.pem' }, 'TLS_KEY_FILE'],
    [{ SOCKETS_PER_USER_MAX: '0' }, 'SOCKETS_PER_USER_MAX'],
    [{ SOCKET_HANDSHAKE_TIMEOUT_SECONDS: '1.5' }, 'SOCKET_HANDSHAKE_TIMEOUT_SECONDS'],
    [{ ROOM_PROBES_PER_ADDRESS_PER_MINUTE: 'many' }, 'ROOM_PROBES_PER_ADDRESS_PER_MINUTE'],
    [{ ROOMS_OWNED_MAX: '600' }, 'ROOMS_OWNED_MAX'],
    [{ MESSAGE_MAX_CHARS: '4001' }, 'MESSAGE_MAX_CHARS'],
    [{ MESSAGE_MAX_CHARS: '0' }, 'MESSAGE_MAX_CHARS'],
  ])('%j stops the process with one line naming %s', async (env, variable) => {
    const { code, stderr } = await refused(env);
    expect(code).not.toBe(0);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(new RegExp(`^conclave: ${variable}: `));
  });

  it('refuses an unreachable DATABASE_URL without printing its password', async () => {
    const url = `postgres://conclave:hunter2secret@127.0.0.1:${await freePort()}/conclave`;
    const { code, stderr } = await refused({ DATABASE_URL: url });
    expect(code).not.toBe(0);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^conclave: DATABASE_URL: cannot connect to postgres:\/\/conclave:\*\*\*@127\.0\.0\.1:\d+\/conclave \(ECONNREFUSED\)/);
    expect(stderr).not.toContain('hunter2secret');
  });

  it('names the port that is taken, and leaves no database running behind it', async () => {
    const blocker = createServer().listen(0);
    await new Promise((r) => blocker.once('listening', r));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const server = await ServerProcess.spawn({ env: { PORT: String(taken) } });
      const exit = await server.exited;
      expect(exit.code).not.toBe(0);
      expect(server.stderr.trim()).toBe(`conclave: PORT: port ${taken} is already in use`);
      expect(processesMentioning(server.dataDir)).toEqual([]);
    } finally {
      blocker.close();
    }
  });

  it('refuses a certificate and key that do not belong together', async () => {
    const a = await certificateFiles(dir, 'a');
    const b = await certificateFiles(dir, 'b');
    const { code, stderr } = await refused({ TLS_CERT_FILE: a.cert, TLS_KEY_FILE: b.key });
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/^conclave: TLS_CERT_FILE: does not form a valid certificate\/key pair/);
  });

  it('serves the certificate given in TLS_CERT_FILE / TLS_KEY_FILE', async () => {
    const files = await certificateFiles(dir, 'operator');
    const server = await ServerProcess.start({ env: { TLS_CERT_FILE: files.cert, TLS_KEY_FILE: files.key } });
    try {
      await request(server.origin).get('/ping').ca(files.pem).expect(200);
      const { protocol } = await tlsHandshake(server.port, { ca: files.pem, rejectUnauthorized: true });
      expect(protocol).toBe('TLSv1.3');
    } finally {
      await server.stop();
    }
  });

  it('logs one readable line per event in development', async () => {
    const server = await ServerProcess.start({ env: { NODE_ENV: 'development', LOG_LEVEL: 'debug' } });
    try {
      await request(server.origin).get('/wp-admin/setup.php').ca(server.certificate).expect(404);
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await server.stop();
    }
    expect(server.stdout).toMatch(/^\[[\d:.]+\] INFO: Conclave listening on https:\/\/localhost:\d+ /m);
    expect(server.stdout).toMatch(/^\[[\d:.]+\] DEBUG: request completed .*"url":"\/wp-admin\/setup.php"/m);
    expect(server.stdout.split('\n').filter((l) => l.startsWith('{'))).toEqual([]);
  });
});

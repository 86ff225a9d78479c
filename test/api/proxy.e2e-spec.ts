import { execFileSync } from 'node:child_process';
import pg from 'pg';
import request from 'supertest';
import { ExternalPostgres } from '../support/postgres.js';
import { rawExchange } from '../support/raw.js';
import { MIGRATION_NAMES } from '../support/migrations.js';
import { REPO_ROOT, ServerProcess } from '../support/server.js';

let postgres: ExternalPostgres;
let server: ServerProcess;
let databaseUrl: string;

beforeAll(async () => {
  postgres = await ExternalPostgres.start();
  databaseUrl = await postgres.createDatabase('conclave_behind_proxy');
  server = await ServerProcess.start({ env: { TRUST_PROXY: '1', DATABASE_URL: databaseUrl } });
});

afterAll(async () => {
  await server?.stop();
  await postgres?.stop();
});

const plain = () => request(`http://127.0.0.1:${server.port}`);

describe('behind a TLS-terminating proxy (TRUST_PROXY=1) on an external DATABASE_URL', () => {
  it('serves requests the proxy received over HTTPS', async () => {
    const res = await plain().get('/api/health').set('X-Forwarded-Proto', 'https').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.headers['strict-transport-security']).toContain('max-age=31536000');
  });

  it('redirects a request whose X-Forwarded-Proto is not https', async () => {
    const noHeader = await plain().get('/sign-in?next=1').set('Host', 'chat.example.com').redirects(0).expect(301);
    expect(noHeader.headers.location).toBe('https://chat.example.com/sign-in?next=1');
    const http = await plain()
      .get('/api/health')
      .set('X-Forwarded-Proto', 'http')
      .set('X-Forwarded-Host', 'chat.example.com')
      .redirects(0)
      .expect(301);
    expect(http.headers.location).toBe('https://chat.example.com/api/health');
  });

  it('keeps /ping answerable for the proxy health probe', async () => {
    await plain().get('/ping').expect(200, { status: 'ok' });
  });

  it('refuses a WebSocket upgrade that did not arrive over TLS', async () => {
    const upgrade = (proto: string) =>
      rawExchange(
        server.port,
        `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Proto: ${proto}\r\nUpgrade: websocket\r\n` +
          'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
    expect(await upgrade('http')).toMatch(/^HTTP\/1\.1 403/);
  });

  it('opens no plain-HTTP redirect listener of its own', async () => {
    await expect(rawExchange(server.httpPort, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('ran the migrations on the external database', async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const migrations = await client.query('SELECT name FROM migrations');
      expect(migrations.rows.map((r) => r.name)).toEqual(MIGRATION_NAMES);
      const started = await client.query(`SELECT details FROM audit_log WHERE event = 'server.started'`);
      expect(started.rows[0].details).toMatchObject({ tls: 'proxy', database: 'external', trustProxy: true });
    } finally {
      await client.end();
    }
  });

  it('drives the same migrations from the TypeORM CLI (ormconfig.ts)', () => {
    const output = execFileSync('npm', ['run', '--silent', 'migration:show'], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      encoding: 'utf8',
    });
    MIGRATION_NAMES.forEach((name, i) => expect(output).toContain(`[X] ${i + 1} ${name}`));
  });

  // Last: takes the database away from the running server.
  it('reports not-ready on /api/health when the database is down, while /ping still answers', async () => {
    await postgres.stop();
    const health = await plain().get('/api/health').set('X-Forwarded-Proto', 'https').expect(503);
    expect(health.body).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });
    await plain().get('/ping').set('X-Forwarded-Proto', 'https').expect(200, { status: 'ok' });
    expect(server.child.exitCode).toBeNull();
  });
});

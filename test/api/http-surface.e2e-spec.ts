import { PAYLOAD_MAX_DEPTH, type RoomSummary } from '@conclave/contracts';
import request from 'supertest';
import { type Account, type Client, FAST_AUTH_ENV, newAccount, registerBody, registeredClient } from '../support/accounts.js';
import { makeAdmin } from '../support/api-tokens.js';
import { sql } from '../support/db.js';
import { errorOutputSince, type LogMark, logMark, pingAndReadLog } from '../support/logs.js';
import { rawExchange, tlsHandshake } from '../support/raw.js';
import { MIGRATION_NAMES } from '../support/migrations.js';
import { ServerProcess } from '../support/server.js';

let server: ServerProcess;
const get = (path: string) => request(server.origin).get(path).ca(server.certificate);

beforeAll(async () => {
  server = await ServerProcess.start();
});

afterAll(async () => {
  await server?.stop();
});

describe('health', () => {
  it('GET /ping answers {"status":"ok"} over HTTPS, verified against the generated certificate', async () => {
    const res = await get('/ping').expect(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /api/health reports the database up (Terminus)', async () => {
    const res = await get('/api/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
  });
});

describe('security headers', () => {
  const paths = ['/', '/ping', '/api/health', '/api/no-such-route', '/sign-in', '/favicon.svg'];

  it.each(paths)('%s carries CSP without unsafe-inline/eval, HSTS, nosniff, frame and referrer rules, Permissions-Policy', async (path) => {
    const res = await get(path);
    const csp = res.headers['content-security-policy'];
    const scriptSrc = / script-src ([^;]*)/.exec(' ' + csp.replace(/;/g, '; '))?.[1] ?? '';
    expect(scriptSrc).toContain("'self'");
    expect(scriptSrc).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    const hsts = res.headers['strict-transport-security'];
    expect(Number(/max-age=(\d+)/.exec(hsts)?.[1])).toBeGreaterThanOrEqual(31_536_000);
    expect(hsts).toContain('includeSubDomains');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    for (const feature of ['camera', 'microphone', 'geolocation', 'payment']) {
      expect(res.headers['permissions-policy']).toContain(`${feature}=()`);
    }
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('only the Swagger UI route gets the looser CSP', async () => {
    const docs = await get('/api/docs/').expect(200);
    expect(docs.headers['content-security-policy']).toContain("style-src 'self' 'unsafe-inline'");
    expect(docs.headers['content-security-policy']).toContain("script-src 'self';");
    const spec = await get('/api/docs-json').expect(200);
    expect(spec.headers['content-security-policy']).not.toContain('unsafe-inline');
  });

  it('gives each page a fresh CSP nonce that matches the one in the HTML', async () => {
    const first = await get('/').expect(200);
    const second = await get('/').expect(200);
    const nonceOf = (csp: string) => /'nonce-([^']+)'/.exec(csp)?.[1];
    const a = nonceOf(first.headers['content-security-policy']);
    const b = nonceOf(second.headers['content-security-policy']);
    expect(a).toBeTruthy();
    expect(a).not.toBe(b);
    expect(first.text).toContain(`ngcspnonce="${a}"`);
    expect(first.text).not.toContain('__CSP_NONCE__');
    expect(first.headers['cache-control']).toBe('no-store');
  });
});

describe('routing', () => {
  it('serves the Angular app for client-side routes and hashed assets with long caching', async () => {
    const page = await get('/sign-up').expect(200);
    expect(page.headers['content-type']).toContain('text/html');
    const script = /src="(main-[^"]+\.js)"/.exec(page.text)?.[1];
    const asset = await get(`/${script}`).expect(200);
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it('answers unknown API routes and file-like paths with a JSON 404, not the app', async () => {
    const api = await get('/api/nope').expect(404);
    expect(api.body).toMatchObject({ statusCode: 404 });
    await get('/wp-login.php').expect(404);
  });

  it('publishes Swagger UI and the OpenAPI document', async () => {
    const spec = await get('/api/docs-json').expect(200);
    expect(spec.body.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.body.paths)).toEqual(expect.arrayContaining(['/ping', '/api/health']));
    const ui = await get('/api/docs/').expect(200);
    expect(ui.text).toContain('swagger-ui');
  });

  it('logs a 404 scan at debug, not in the info-level production log', async () => {
    await get('/cgi-bin/scan-probe.php').expect(404);
    await get('/ping').expect(200);
    await new Promise((r) => setTimeout(r, 200));
    const lines = server.stdout.trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow(); // JSON lines in production
    expect(server.stdout).not.toContain('scan-probe');
    expect(lines.filter((l) => l.includes('"url":"/ping"')).length).toBeGreaterThan(0);
  });
});

describe('plain HTTP listener', () => {
  it('redirects every request to HTTPS and never serves the app', async () => {
    const res = await request(`http://localhost:${server.httpPort}`).get('/sign-in?x=1').redirects(0).expect(301);
    expect(res.headers.location).toBe(`https://localhost:${server.port}/sign-in?x=1`);
    expect(res.text).not.toContain('<cv-root');
    const post = await request(`http://localhost:${server.httpPort}`).post('/api/health').redirects(0);
    expect(post.status).toBe(301);
  });

  it('refuses a plain ws:// upgrade', async () => {
    const answer = await rawExchange(
      server.httpPort,
      'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 403/);
    expect(answer).not.toContain('101 Switching Protocols');
  });
});

describe('TLS', () => {
  it('accepts TLS 1.3 and TLS 1.2 with an AEAD suite', async () => {
    expect((await tlsHandshake(server.port, {})).protocol).toBe('TLSv1.3');
    const tls12 = await tlsHandshake(server.port, { maxVersion: 'TLSv1.2' });
    expect(tls12.protocol).toBe('TLSv1.2');
    expect(tls12.cipher).toMatch(/GCM|CHACHA20/);
  });

  it('refuses TLS 1.1 and 1.0', async () => {
    for (const version of ['TLSv1.1', 'TLSv1'] as const) {
      await expect(
        tlsHandshake(server.port, { minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' }),
      ).rejects.toThrow();
    }
  });

  it('refuses weak TLS 1.2 suites (CBC, no forward secrecy)', async () => {
    const weak = 'ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA256:AES128-SHA:AES256-GCM-SHA384';
    await expect(tlsHandshake(server.port, { maxVersion: 'TLSv1.2', ciphers: weak })).rejects.toThrow();
  });

  it('keeps failed handshakes out of the info-level log (they are logged at debug)', async () => {
    await expect(tlsHandshake(server.port, { maxVersion: 'TLSv1.1', minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' })).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 200));
    expect(server.stdout).not.toMatch(/handshake/i);
    // Besides the start-up warning about PUBLIC_ORIGIN (deployment-checks covers it), nothing at warn or above.
    const warnings = server.stdout.split('\n').filter((line) => /"level":(40|50|60)/.test(line) && !line.includes('PUBLIC_ORIGIN is not set'));
    expect(warnings).toEqual([]);
  });
});

describe('database', () => {
  it('applied every migration at start and recorded the start in the audit log', async () => {
    const migrations = await sql<{ name: string }>(server, 'SELECT name FROM migrations ORDER BY id');
    expect(migrations.map((r) => r.name)).toEqual(MIGRATION_NAMES);
    const started = await sql<{ details: object }>(server, `SELECT details FROM audit_log WHERE event = 'server.started'`);
    expect(started).toHaveLength(1);
    expect(started[0]!.details).toMatchObject({ tls: 'self-signed', database: 'embedded' });
  });
});

// A server of its own: these 400s are logged at warn, which the TLS test above forbids in the shared one's log.
describe('bad input never gives a 5xx', () => {
  let target: ServerProcess;
  let prober: Account;
  let client: Client;
  let room: RoomSummary;
  let mark: LogMark;

  beforeAll(async () => {
    target = await ServerProcess.start({ env: FAST_AUTH_ENV });
    prober = await newAccount('prober');
    client = await registeredClient(target, prober);
    room = (await client.post('/api/rooms', { name: 'Probed', history: 'shared' }).expect(201)).body as RoomSummary;
  });
  afterAll(async () => {
    await target?.stop();
  });
  beforeEach(() => {
    mark = logMark(target);
  });
  afterEach(async () => {
    // Refused as the client's fault: the process still answers, and logged nothing at error level.
    await pingAndReadLog(target);
    expect(errorOutputSince(target, mark)).toEqual([]);
  });

  interface BodyRoute {
    method: 'post' | 'put' | 'patch';
    /** As the OpenAPI document names it. */
    path: string;
    /** A body whose string at `field` carries U+0000 (the rest as a client would send it). */
    withNul: () => object;
    field: string;
  }
  /** Every route that takes a body; logout, leave and remove read none, but get one all the same. */
  const BODY_ROUTES: BodyRoute[] = [
    { method: 'post', path: '/api/auth/register', withNul: () => registerBody(prober, 'altcha\u0000'), field: 'captcha' },
    { method: 'post', path: '/api/auth/login', withNul: () => ({ username: 'prober\u0000', authKey: prober.keys.authKey }), field: 'username' },
    { method: 'post', path: '/api/auth/key-backup', withNul: () => ({ authKey: `\u0000${prober.keys.authKey.slice(1)}` }), field: 'authKey' },
    {
      method: 'post',
      path: '/api/auth/password',
      withNul: () => ({ currentAuthKey: prober.keys.authKey, newAuthKey: prober.keys.authKey, newKeyBackup: { ...prober.keyBackup, ct: `${prober.keyBackup.ct}\u0000` } }),
      field: 'newKeyBackup.ct',
    },
    { method: 'put', path: '/api/auth/contacts', withNul: () => ({ v: 1, iv: prober.keyBackup.iv, ct: 'AAAA\u0000' }), field: 'ct' },
    { method: 'post', path: '/api/rooms', withNul: () => ({ name: 'Null\u0000room', history: 'shared' }), field: 'name' },
    { method: 'post', path: '/api/rooms/{code}/join', withNul: () => ({ joinKey: 'open\u0000sesame' }), field: 'joinKey' },
    { method: 'post', path: '/api/rooms/{code}/join/cancel', withNul: () => ({ note: '\u0000' }), field: 'note' },
    { method: 'patch', path: '/api/rooms/{code}', withNul: () => ({ name: 'Renamed\u0000' }), field: 'name' },
    { method: 'put', path: '/api/rooms/{code}/password', withNul: () => ({ joinKey: '\u0000', sealed: { epoch: 1, iv: 'AAAA', ct: 'AAAA' } }), field: 'joinKey' },
    { method: 'post', path: '/api/rooms/{code}/invites', withNul: () => ({ id: 'A\u0000', expiresAt: new Date().toISOString(), maxUses: 1 }), field: 'id' },
    { method: 'post', path: '/api/rooms/{code}/invites/{inviteId}/revoke', withNul: () => ({ note: '\u0000' }), field: 'note' },
    { method: 'post', path: '/api/rooms/{code}/members/{userId}/remove', withNul: () => ({ reason: ['\u0000'] }), field: 'reason[0]' },
    // The upload's body is octet-stream; a JSON one is parsed (and checked) before the route refuses it.
    { method: 'put', path: '/api/rooms/{code}/files/{fileId}', withNul: () => ({ note: '\u0000' }), field: 'note' },
    { method: 'post', path: '/api/rooms/{code}/files/{fileId}/link', withNul: () => ({ note: '\u0000' }), field: 'note' },
    // The admin API (the prober is no admin: the shape check comes before any guard).
    { method: 'put', path: '/api/admin/v1/rooms/{code}/joins', withNul: () => ({ blocked: '\u0000' }), field: 'blocked' },
    { method: 'put', path: '/api/admin/v1/rooms/{code}/owner', withNul: () => ({ userId: '\u0000' }), field: 'userId' },
    { method: 'post', path: '/api/admin/v1/tokens', withNul: () => ({ name: 'Null\u0000token', scopes: ['rooms:read'], expiresAt: new Date(Date.now() + 86_400_000).toISOString() }), field: 'name' },
    { method: 'put', path: '/api/admin/v1/users/{userId}/admin', withNul: () => ({ admin: '\u0000' }), field: 'admin' },
    { method: 'post', path: '/api/admin/v1/users/{userId}/disable', withNul: () => ({ note: '\u0000' }), field: 'note' },
    { method: 'post', path: '/api/admin/v1/users/{userId}/enable', withNul: () => ({ note: '\u0000' }), field: 'note' },
    // Last: on a server without the check these two would end the room and the session.
    { method: 'post', path: '/api/rooms/{code}/leave', withNul: () => ({ note: '\u0000' }), field: 'note' },
    { method: 'post', path: '/api/auth/logout', withNul: () => ({ note: 'bye\u0000' }), field: 'note' },
  ];
  const send = (route: BodyRoute) => {
    const path = route.path.replace('{code}', room.code).replace('{userId}', prober.userId).replace('{inviteId}', 'A'.repeat(22)).replace('{fileId}', FILE_ID);
    return client[route.method](path);
  };
  const FILE_ID = '0a0b0c0d-1e1f-4a4b-8c8d-9e9f0a0b0c0d';
  const DEEP = '['.repeat(20_000) + ']'.repeat(20_000);
  const TOO_DEEP = `The payload is nested deeper than ${PAYLOAD_MAX_DEPTH} levels`;

  it('covers every route that takes a body (POST, PUT, PATCH) in the OpenAPI document', async () => {
    const spec = (await request(target.origin).get('/api/docs-json').ca(target.certificate).expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    const withBody = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods).filter((m) => ['post', 'put', 'patch'].includes(m)).map((m) => `${m} ${path}`),
    );
    expect(withBody.sort()).toEqual(BODY_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it.each(BODY_ROUTES)('$method $path: a body nested 20,000 deep is a 400, at the top or under a field', async (route) => {
    const top = await send(route).type('json').send(DEEP);
    expect([top.status, top.body.message]).toEqual([400, [TOO_DEEP]]);
    const field = route.field.split(/[.[]/)[0]!;
    const under = await send(route).type('json').send(`{"${field}":${DEEP}}`);
    expect([under.status, under.body.message]).toEqual([400, [TOO_DEEP]]);
  });

  it.each(BODY_ROUTES)('$method $path: U+0000 in a string is a 400 naming the field', async (route) => {
    const res = await send(route).send(route.withNul());
    expect([res.status, res.body.message]).toEqual([400, [`${route.field} must not contain U+0000`]]);
  });

  it('refuses a string that is not well-formed Unicode (an unpaired surrogate), which PostgreSQL cannot store as sent', async () => {
    const name = await client.post('/api/rooms', { name: 'Half \ud83d pair', history: 'shared' });
    expect([name.status, name.body.message]).toEqual([400, ['name must be well-formed Unicode (it has an unpaired surrogate)']]);
    const joinKey = await client.post(`/api/rooms/${room.code}/join`, { joinKey: 'open sesame \udc00' });
    expect([joinKey.status, joinKey.body.message]).toEqual([400, ['joinKey must be well-formed Unicode (it has an unpaired surrogate)']]);
    // A whole pair (an emoji) is text like any other.
    await client.post('/api/rooms', { name: 'Whole \ud83d\ude00 pair', history: 'shared' }).expect(201);
  });

  it('refuses U+0000 in a query string or the path with 400 before any route runs (PostgreSQL refuses it: it was a 500)', async () => {
    const warden = await newAccount('warden');
    const admin = await registeredClient(target, warden);
    await makeAdmin(target, warden.userId);
    // An admin's searches and audit filters go to SQL as they are.
    for (const [path, field] of [
      ['/api/admin/v1/rooms?q=%00', 'q'],
      ['/api/admin/v1/rooms?q=Pro%00bed', 'q'],
      ['/api/admin/v1/users?q=prober%00', 'q'],
      ['/api/admin/v1/audit?target=%00', 'target'],
      ['/api/admin/v1/audit?action=room.%00created', 'action'],
    ]) {
      const res = await admin.get(path!);
      expect([path, res.status, res.body.message]).toEqual([path, 400, [`query.${field} must not contain U+0000`]]);
    }
    await admin.get('/api/admin/v1/rooms?q=Probed').expect(200);
    // A user route, whether or not it reads the query; a repeated parameter and a parameter's name too.
    for (const [path, message] of [
      [`/api/rooms/${room.code}?view=%00`, 'query.view must not contain U+0000'],
      [`/api/rooms?view=ok&view=%00`, 'query.view[1] must not contain U+0000'],
      [`/api/rooms?%00=1`, 'A field name in query must not contain U+0000'],
      [`/api/files/${FILE_ID}?expires=1&sig=%00`, 'query.sig must not contain U+0000'],
      [`/api/users/%00/keys`, 'The URL path must not contain U+0000'],
    ]) {
      const res = await client.get(path!);
      expect([path, res.status, res.body.message]).toEqual([path, 400, [message]]);
    }
  });

  it(`lets a body ${PAYLOAD_MAX_DEPTH} levels deep through to validation, and refuses one level more`, async () => {
    const nested = (levels: number) => JSON.parse('['.repeat(levels) + ']'.repeat(levels)) as unknown;
    // The body object is the first level.
    const atBound = await client.post('/api/rooms', { name: nested(PAYLOAD_MAX_DEPTH - 1), history: 'shared' });
    expect(atBound.status).toBe(400);
    expect(atBound.body.message).toContain('name is required');
    expect(atBound.body.message).not.toContain(TOO_DEEP);
    const past = await client.post('/api/rooms', { name: nested(PAYLOAD_MAX_DEPTH), history: 'shared' });
    expect([past.status, past.body.message]).toEqual([400, [TOO_DEEP]]);
  });

  it('changed nothing: no room but the ones made on purpose, and the prober still signed in', async () => {
    const rooms = (await client.get('/api/rooms').expect(200)).body as RoomSummary[];
    expect(rooms.map((r) => r.name).sort()).toEqual(['Probed', 'Whole \ud83d\ude00 pair']);
  });
});

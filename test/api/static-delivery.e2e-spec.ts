import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpsGet } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { REPO_ROOT, ServerProcess } from '../support/server.js';

/** Where `npm run build` put the web app and its .br/.gz variants (scripts/precompress.mjs). */
const WEB_DIST = join(REPO_ROOT, 'apps/web/dist/browser');
const IMMUTABLE = 'public, max-age=31536000, immutable';

let server: ServerProcess;

beforeAll(async () => {
  server = await ServerProcess.start();
});

afterAll(async () => {
  await server?.stop();
});

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The bytes as sent, not decoded: what went over the wire. */
  body: Buffer;
}

/** A GET whose body is kept as sent (supertest would decompress it), with `acceptEncoding` or no Accept-Encoding at all. */
function rawGet(path: string, acceptEncoding?: string, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(new URL(path, server.origin), { method, ca: server.certificate, headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const decode = { br: brotliDecompressSync, gzip: gunzipSync } as const;
/** Bytes compared by digest: a readable failure, and quick on a 500 KB chunk. */
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The script, the stylesheet and a lazy chunk of the built app, as the page names them. */
function builtAssets(): string[] {
  const html = readFileSync(join(WEB_DIST, 'index.html'), 'utf8');
  const main = /src="(main-[^"]+\.js)"/.exec(html)?.[1];
  const styles = /href="(styles-[^"]+\.css)"/.exec(html)?.[1];
  // A route's chunk that the page does not load (its import map names them all): lazy, fetched later.
  const loaded = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  const lazy = readFileSync(join(WEB_DIST, main!), 'utf8').match(/chunk-[A-Za-z0-9_-]{8}\.js/g)?.find((name) => !loaded.includes(name));
  return [main!, styles!, lazy!];
}

describe('the built web app is served precompressed', () => {
  it('the build wrote a smaller .br and .gz beside each asset', () => {
    for (const name of builtAssets()) {
      const raw = readFileSync(join(WEB_DIST, name));
      expect(sha256(brotliDecompressSync(readFileSync(join(WEB_DIST, `${name}.br`))))).toBe(sha256(raw));
      expect(sha256(gunzipSync(readFileSync(join(WEB_DIST, `${name}.gz`))))).toBe(sha256(raw));
      expect(readFileSync(join(WEB_DIST, `${name}.br`)).length).toBeLessThan(readFileSync(join(WEB_DIST, `${name}.gz`)).length);
      expect(readFileSync(join(WEB_DIST, `${name}.gz`)).length).toBeLessThan(raw.length * 0.7);
    }
  });

  it.each(['br', 'gzip'] as const)('%s: decompresses to the bytes of the file, with its own Content-Type, Vary and immutable caching', async (encoding) => {
    for (const name of builtAssets()) {
      const raw = readFileSync(join(WEB_DIST, name));
      const identity = await rawGet(`/${name}`);
      const res = await rawGet(`/${name}`, encoding === 'br' ? 'gzip, deflate, br, zstd' : 'gzip, deflate');
      expect({ name, status: res.status, encoding: res.headers['content-encoding'] }).toEqual({ name, status: 200, encoding });
      expect(sha256(decode[encoding](res.body))).toBe(sha256(raw));
      expect(sha256(identity.body)).toBe(sha256(raw));
      expect(res.body.length).toBeLessThan(raw.length * 0.7);
      expect(Number(res.headers['content-length'])).toBe(res.body.length);
      expect(res.headers['content-type']).toBe(identity.headers['content-type']);
      expect(res.headers['content-type']).toMatch(name.endsWith('.css') ? /^text\/css; charset=utf-8$/ : /^(text|application)\/javascript; charset=utf-8$/);
      expect(res.headers.vary).toMatch(/Accept-Encoding/i);
      expect(res.headers['cache-control']).toBe(IMMUTABLE);
      // A cache must not hand one encoding's validator to another.
      expect(res.headers.etag).not.toBe(identity.headers.etag);
    }
  });

  it('without Accept-Encoding (or with identity only) sends the file as it is, still saying that it varies', async () => {
    for (const name of builtAssets()) {
      const raw = readFileSync(join(WEB_DIST, name));
      for (const accept of [undefined, 'identity', 'br;q=0, gzip;q=0']) {
        const res = await rawGet(`/${name}`, accept);
        expect({ name, accept, status: res.status, encoding: res.headers['content-encoding'] }).toEqual({ name, accept, status: 200, encoding: undefined });
        expect(sha256(res.body)).toBe(sha256(raw));
        expect(res.headers.vary).toMatch(/Accept-Encoding/i);
        expect(res.headers['cache-control']).toBe(IMMUTABLE);
      }
    }
  });

  it('follows the client: gzip when brotli is refused, brotli first when both are accepted', async () => {
    const [main] = builtAssets();
    expect((await rawGet(`/${main}`, 'br;q=0, gzip')).headers['content-encoding']).toBe('gzip');
    expect((await rawGet(`/${main}`, 'gzip;q=0.5, br;q=0.5')).headers['content-encoding']).toBe('br');
    expect((await rawGet(`/${main}`, '*')).headers['content-encoding']).toBe('br');
  });

  it('an asset without a hash in its name (favicon.svg) is compressed too and revalidated (no-cache)', async () => {
    const raw = readFileSync(join(WEB_DIST, 'favicon.svg'));
    const res = await rawGet('/favicon.svg', 'br');
    expect(res.headers['content-type']).toBe('image/svg+xml');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers.vary).toMatch(/Accept-Encoding/i);
    if (res.headers['content-encoding'] === 'br') expect(brotliDecompressSync(res.body)).toEqual(raw);
    else expect(res.body).toEqual(raw); // too small to gain: sent as it is
  });

  it('HEAD names the encoding and length a GET would send, without a body', async () => {
    const [main] = builtAssets();
    const head = await rawGet(`/${main}`, 'br', 'HEAD');
    expect(head.headers['content-encoding']).toBe('br');
    expect(Number(head.headers['content-length'])).toBe(readFileSync(join(WEB_DIST, `${main}.br`)).length);
    expect(head.body.length).toBe(0);
  });
});

describe('the app page (index.html, rendered per response with its CSP nonce) is compressed per response', () => {
  const nonceOf = (res: RawResponse) => /'nonce-([^']+)'/.exec(String(res.headers['content-security-policy']))?.[1];

  it.each(['br', 'gzip'] as const)('%s: decompresses to the page with this response nonce; never stored', async (encoding) => {
    for (const path of ['/', '/sign-in', '/rooms/ABCD']) {
      const res = await rawGet(path, encoding);
      expect({ path, status: res.status, encoding: res.headers['content-encoding'] }).toEqual({ path, status: 200, encoding });
      const page = decode[encoding](res.body).toString('utf8');
      expect(page).toContain(`ngcspnonce="${nonceOf(res)}"`);
      expect(page).toContain('<cv-root');
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers.vary).toMatch(/Accept-Encoding/i);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body.length).toBeLessThan(Buffer.byteLength(page) / 2);
    }
  });

  it('brotli when a browser lists gzip first (chromium: gzip, deflate, br, zstd), gzip when brotli is refused', async () => {
    expect((await rawGet('/sign-in', 'gzip, deflate, br, zstd')).headers['content-encoding']).toBe('br');
    expect((await rawGet('/sign-in', 'br;q=0, gzip')).headers['content-encoding']).toBe('gzip');
  });

  it('without Accept-Encoding: the page as it is', async () => {
    const res = await rawGet('/sign-in');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.toString('utf8')).toContain(`ngcspnonce="${nonceOf(res)}"`);
    expect(res.headers.vary).toMatch(/Accept-Encoding/i);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('API answers are not touched by it (JSON stays uncompressed)', async () => {
    const res = await rawGet('/api/health', 'br, gzip');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(res.body.toString('utf8'))).toMatchObject({ status: 'ok' });
  });
});

import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, verify } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';

/**
 * A local stand-in for Google Cloud Storage, speaking the subset of the JSON API that
 * @google-cloud/storage 8 sends for the firebase driver's calls (found by reading the SDK and by
 * logging its requests), and serving V4 signed-URL GETs as GCS does: each signature is VERIFIED
 * with the service account's public key, after rebuilding the canonical request and the
 * string-to-sign per Google's V4 signing spec
 * (https://cloud.google.com/storage/docs/authentication/canonical-requests, …/signatures).
 *
 * Routes:
 *  - POST /upload/storage/v1/b/:bucket/o?uploadType=multipart&name=: createWriteStream({ resumable: false });
 *    the object is stored only once the whole multipart body arrived (an aborted upload leaves nothing).
 *  - GET [/storage/v1]/b/:bucket/o/:object (metadata; ?alt=media: the bytes), DELETE of the same
 *    (the SDK drops /storage/v1 when its endpoint comes from STORAGE_EMULATOR_HOST, as firebase-admin's does).
 *  - GET /:bucket/:object?X-Goog-Algorithm=…: a signed URL; OPTIONS: a CORS preflight.
 *
 * Plain HTTP on 127.0.0.1: the SDK takes an http:// apiEndpoint as it is, and V4 signatures do not
 * depend on the scheme, so TLS would test nothing of the driver. The SDK sends no OAuth token to a
 * custom endpoint (and google-auth-library 11 posts token exchanges to Google's fixed URL, not the
 * key's token_uri), so there is no token route: any request this server does not know is answered
 * 404 and recorded in `unknownRequests`, which suites check is empty.
 */
export class FakeCloudStorage {
  /** Objects by name, in the one bucket. */
  readonly objects = new Map<string, StoredObject>();
  /** Every request, as `METHOD path` (no query), in order. */
  readonly requests: string[] = [];
  readonly unknownRequests: string[] = [];
  /** A status every JSON API request (upload, metadata, delete) is answered with instead: a failing bucket. */
  failWith: number | undefined;
  /** Store uploads, then answer them 503: an upload that landed although the client saw it fail. */
  failAfterStoring = false;

  private constructor(
    private readonly server: Server,
    readonly bucket: string,
    private readonly account: ServiceAccountKey,
  ) {}

  /** `http://127.0.0.1:<port>`: FIREBASE_STORAGE_ENDPOINT, and the origin of signed URLs. */
  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  static async start(bucket: string, account: ServiceAccountKey): Promise<FakeCloudStorage> {
    const server = createServer();
    const fake = new FakeCloudStorage(server, bucket, account);
    server.on('request', (req, res) => fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.origin);
    this.requests.push(`${req.method} ${url.pathname}`);
    // Without /storage/v1 when the SDK found its endpoint in STORAGE_EMULATOR_HOST (how firebase-admin is pointed here).
    const json = /^(?:\/storage\/v1)?\/b\/([^/]+)\/o\/([^/]+)$/.exec(url.pathname);
    const signed = /^\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'POST' && url.pathname === `/upload/storage/v1/b/${this.bucket}/o`) return this.upload(req, url, res);
    if (json && json[1] === this.bucket && (req.method === 'GET' || req.method === 'DELETE')) return this.objectRoute(req, decodeURIComponent(json[2]!), url, res);
    if (signed && signed[1] === this.bucket && req.method === 'OPTIONS') return this.preflight(req, res);
    if (signed && signed[1] === this.bucket && req.method === 'GET' && url.searchParams.has('X-Goog-Signature')) return this.signedGet(req, url, decodeURIComponent(signed[2]!), res);
    this.unknownRequests.push(`${req.method} ${req.url}`);
    req.resume();
    jsonError(res, 404, 'notFound', `Not Found: ${req.method} ${url.pathname}`);
  }

  /** A multipart/related body: the object's JSON metadata, then its bytes (the SDK's simple upload). */
  private upload(req: IncomingMessage, url: URL, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (this.failWith) return jsonError(res, this.failWith, 'backendError', 'Backend Error');
      const boundary = /boundary="?([^";]+)"?/.exec(req.headers['content-type'] ?? '')?.[1];
      const name = url.searchParams.get('name');
      if (url.searchParams.get('uploadType') !== 'multipart' || !boundary || !name) {
        this.unknownRequests.push(`${req.method} ${req.url}`);
        return jsonError(res, 400, 'invalid', 'expected uploadType=multipart with a name and a boundary');
      }
      const parts = multipartParts(Buffer.concat(chunks), boundary);
      if (parts.length !== 2) return jsonError(res, 400, 'invalid', `expected 2 parts, got ${parts.length}`);
      const metadata = JSON.parse(parts[0]!.body.toString('utf8')) as Record<string, string>;
      const bytes = parts[1]!.body;
      const generation = String(Date.now() * 1000);
      this.objects.set(name, {
        bytes,
        contentType: metadata.contentType ?? parts[1]!.contentType ?? 'application/octet-stream',
        cacheControl: metadata.cacheControl,
        contentDisposition: metadata.contentDisposition,
        generation,
        md5Hash: createHash('md5').update(bytes).digest('base64'),
        crc32c: crc32cBase64(bytes),
      });
      if (this.failAfterStoring) return jsonError(res, 503, 'backendError', 'Backend Error');
      sendJson(res, 200, this.resource(name));
    });
  }

  private objectRoute(req: IncomingMessage, name: string, url: URL, res: ServerResponse): void {
    req.resume();
    if (this.failWith) return jsonError(res, this.failWith, 'backendError', 'Backend Error');
    const object = this.objects.get(name);
    if (!object) return jsonError(res, 404, 'notFound', `No such object: ${this.bucket}/${name}`);
    if (req.method === 'DELETE') {
      this.objects.delete(name);
      res.writeHead(204).end();
    } else if (url.searchParams.get('alt') === 'media') {
      res.writeHead(200, { 'Content-Type': object.contentType, 'Content-Length': object.bytes.length, 'X-Goog-Hash': `crc32c=${object.crc32c},md5=${object.md5Hash}` });
      res.end(object.bytes);
    } else {
      sendJson(res, 200, this.resource(name));
    }
  }

  /**
   * A V4 signed-URL GET, checked as GCS does: algorithm, credential (this service account, a scope
   * whose date is the request date's), the signature over the rebuilt string-to-sign, then the
   * expiry. Refusals are GCS's XML errors: 403 SignatureDoesNotMatch, 400 ExpiredToken.
   */
  private signedGet(req: IncomingMessage, url: URL, name: string, res: ServerResponse): void {
    req.resume();
    const cors = this.corsHeaders(req);
    const q = url.searchParams;
    const algorithm = q.get('X-Goog-Algorithm');
    const credential = q.get('X-Goog-Credential') ?? '';
    const date = q.get('X-Goog-Date') ?? '';
    const expires = Number(q.get('X-Goog-Expires'));
    const signedHeaders = q.get('X-Goog-SignedHeaders') ?? '';
    const signature = q.get('X-Goog-Signature') ?? '';
    const [email, scopeDate, ...scopeRest] = credential.split('/');
    const scope = [scopeDate, ...scopeRest].join('/');
    if (algorithm !== 'GOOG4-RSA-SHA256' || !/^\d{8}T\d{6}Z$/.test(date) || !Number.isInteger(expires) || expires < 1 || expires > 604_800) {
      return xmlError(res, 400, 'InvalidArgument', 'Invalid argument.', cors);
    }
    if (email !== this.account.clientEmail || scopeDate !== date.slice(0, 8) || scopeRest.join('/') !== 'auto/storage/goog4_request') {
      return xmlError(res, 400, 'AuthenticationRequired', 'The credential of the signed URL is not valid.', cors);
    }
    // Signed headers, by their lower-case names; the SDK signs `host` only. It signs the host name
    // without the port (signer.js: new URL(apiEndpoint).hostname), which is the whole Host header
    // on GCS's port 443; here the port is stripped to compare like with like.
    const headerNames = signedHeaders.split(';');
    const headerValue = (header: string) => (header === 'host' ? (req.headers.host ?? '').replace(/:\d+$/, '') : String(req.headers[header] ?? '').trim());
    const canonicalRequest = [
      'GET',
      url.pathname,
      canonicalQuery(q),
      headerNames.map((header) => `${header}:${headerValue(header)}\n`).join(''),
      signedHeaders,
      'UNSIGNED-PAYLOAD',
    ].join('\n');
    const stringToSign = ['GOOG4-RSA-SHA256', date, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
    const valid = /^[0-9a-f]+$/.test(signature) && verify('RSA-SHA256', Buffer.from(stringToSign), this.account.publicKey, Buffer.from(signature, 'hex'));
    if (!valid) {
      return xmlError(res, 403, 'SignatureDoesNotMatch', 'Access denied.', cors, `The request signature we calculated does not match the signature you provided.<StringToSign>${escapeXml(stringToSign)}</StringToSign><CanonicalRequest>${escapeXml(canonicalRequest)}</CanonicalRequest>`);
    }
    const signedAt = Date.UTC(+date.slice(0, 4), +date.slice(4, 6) - 1, +date.slice(6, 8), +date.slice(9, 11), +date.slice(11, 13), +date.slice(13, 15));
    if (Date.now() > signedAt + expires * 1000) {
      return xmlError(res, 400, 'ExpiredToken', 'Invalid argument.', cors, `The provided token has expired. Request signature expired at: ${new Date(signedAt + expires * 1000).toISOString()}`);
    }
    const object = this.objects.get(name);
    if (!object) return xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.', cors);
    res.writeHead(200, {
      ...cors,
      'Content-Type': object.contentType,
      'Content-Length': object.bytes.length,
      ...(object.cacheControl ? { 'Cache-Control': object.cacheControl } : {}),
      ...(object.contentDisposition ? { 'Content-Disposition': object.contentDisposition } : {}),
      'X-Goog-Hash': `crc32c=${object.crc32c},md5=${object.md5Hash}`,
    });
    res.end(object.bytes);
  }

  /** The bucket's CORS configuration, as README "Files" tells operators to set it: GET from any origin. */
  private preflight(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const method = req.headers['access-control-request-method'];
    if (!req.headers.origin || method !== 'GET') return xmlError(res, 403, 'AccessDenied', 'CORS request not allowed.', {});
    res.writeHead(200, {
      ...this.corsHeaders(req),
      'Access-Control-Allow-Methods': 'GET',
      ...(req.headers['access-control-request-headers'] ? { 'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] } : {}),
      'Access-Control-Max-Age': '3600',
    });
    res.end();
  }

  private corsHeaders(req: IncomingMessage): Record<string, string> {
    return req.headers.origin ? { 'Access-Control-Allow-Origin': req.headers.origin, Vary: 'Origin' } : {};
  }

  /** The object resource the JSON API answers with (the fields the SDK reads: hashes for its upload check). */
  private resource(name: string): Record<string, string> {
    const object = this.objects.get(name)!;
    return {
      kind: 'storage#object',
      id: `${this.bucket}/${name}/${object.generation}`,
      name,
      bucket: this.bucket,
      generation: object.generation,
      metageneration: '1',
      contentType: object.contentType,
      size: String(object.bytes.length),
      md5Hash: object.md5Hash,
      crc32c: object.crc32c,
      ...(object.cacheControl ? { cacheControl: object.cacheControl } : {}),
      ...(object.contentDisposition ? { contentDisposition: object.contentDisposition } : {}),
    };
  }
}

export interface StoredObject {
  bytes: Buffer;
  contentType: string;
  cacheControl: string | undefined;
  contentDisposition: string | undefined;
  generation: string;
  md5Hash: string;
  crc32c: string;
}

/** What the fake server needs of a service account: who it is and its public key. */
export interface ServiceAccountKey {
  readonly projectId: string;
  readonly clientEmail: string;
  readonly publicKey: KeyObject;
  /** The JSON key file, for FIREBASE_SERVICE_ACCOUNT_FILE. */
  readonly file: string;
  /** The fields firebase-admin's cert() and the config take. */
  readonly serviceAccount: { projectId: string; clientEmail: string; privateKey: string };
}

/** A fresh RSA key pair and a Google-style service account key file made of it, in `dir`. */
export function makeServiceAccount(dir: string, projectId = 'conclave-test'): ServiceAccountKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const clientEmail = `conclave-files@${projectId}.iam.gserviceaccount.com`;
  const file = join(dir, 'service-account.json');
  writeFileSync(
    file,
    JSON.stringify({
      type: 'service_account',
      project_id: projectId,
      private_key_id: createHash('sha1').update(pem).digest('hex'),
      private_key: pem,
      client_email: clientEmail,
      client_id: '100000000000000000000',
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: 'https://oauth2.googleapis.com/token',
    }),
    { mode: 0o600 },
  );
  return { projectId, clientEmail, publicKey: createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })), file, serviceAccount: { projectId, clientEmail, privateKey: pem } };
}

/** The V4 canonical query string: every parameter but the signature, names and values RFC 3986-encoded, sorted. */
function canonicalQuery(params: URLSearchParams): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return [...params]
    .filter(([name]) => name !== 'X-Goog-Signature')
    .map(([name, value]) => [encode(name), encode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** The parts of a multipart/related body (RFC 2046): headers, a blank line, the body. */
function multipartParts(body: Buffer, boundary: string): Array<{ contentType: string | undefined; body: Buffer }> {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const whole = Buffer.concat([Buffer.from('\r\n'), body]);
  const parts: Array<{ contentType: string | undefined; body: Buffer }> = [];
  let at = whole.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    if (whole.subarray(start, start + 2).toString() === '--') break;
    const next = whole.indexOf(delimiter, start);
    if (next === -1) break;
    const part = whole.subarray(start + 2, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, headerEnd).toString('latin1');
    parts.push({ contentType: /^content-type:\s*(.+)$/im.exec(headers)?.[1]?.trim(), body: part.subarray(headerEnd + 4) });
    at = next;
  }
  return parts;
}

/** CRC32C (Castagnoli), big-endian, base64: the `crc32c` of a GCS object resource, which the SDK checks after an upload. */
const CRC32C_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
export function crc32cBase64(bytes: Buffer): string {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC32C_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8' }).end(JSON.stringify(body));
}

/** The JSON API's error shape, which the SDK turns into an ApiError with `code` (404 is what ignoreNotFound looks for). */
function jsonError(res: ServerResponse, code: number, reason: string, message: string): void {
  sendJson(res, code, { error: { code, message, errors: [{ message, domain: 'global', reason }] } });
}

function xmlError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string>, details?: string): void {
  const body = `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>${message}</Message>${details ? `<Details>${details}</Details>` : ''}</Error>`;
  res.writeHead(status, { ...headers, 'Content-Type': 'application/xml; charset=UTF-8' }).end(body);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

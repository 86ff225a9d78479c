import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FileStorageUnavailable } from '../../apps/api/dist/files/files.errors.js';
import { FirebaseFileStorage } from '../../apps/api/dist/files/storage/firebase.storage.js';
import { FakeCloudStorage, makeServiceAccount, type ServiceAccountKey } from '../support/fake-cloud-storage.js';
import { freePort } from '../support/ports.js';

/**
 * The firebase driver as the app uses it: the real firebase-admin SDK (its Cloud Storage client) against a local
 * server that speaks the Cloud Storage JSON API and verifies V4 signed URLs with the service
 * account's public key (test/support/fake-cloud-storage.ts).
 */
const BUCKET = 'conclave-test.appspot.com';

let dir: string;
let account: ServiceAccountKey;
let fake: FakeCloudStorage;
let storage: FirebaseFileStorage;

function driver(apiEndpoint: string, key: ServiceAccountKey = account, timeouts?: ConstructorParameters<typeof FirebaseFileStorage>[1]): FirebaseFileStorage {
  return new FirebaseFileStorage({ driver: 'firebase', bucket: BUCKET, serviceAccount: key.serviceAccount, apiEndpoint }, timeouts);
}

function inHours(hours: number): Date {
  return new Date(Date.now() + hours * 3_600_000);
}

/** A stream of `bytes` in small chunks, as a request body arrives. */
function body(bytes: Buffer): Readable {
  return Readable.from(Array.from({ length: Math.ceil(bytes.length / 16_384) }, (_, i) => bytes.subarray(i * 16_384, (i + 1) * 16_384)));
}

async function saved(bytes: Buffer): Promise<string> {
  const fileId = randomUUID();
  await storage.save(fileId, body(bytes), bytes.length);
  return fileId;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'conclave-firebase-'));
  account = makeServiceAccount(dir);
  fake = await FakeCloudStorage.start(BUCKET, account);
  storage = driver(fake.origin);
});

afterAll(async () => {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  expect(fake.unknownRequests).toEqual([]);
  fake.failWith = undefined;
  fake.failAfterStoring = false;
});

describe('firebase driver against a Cloud Storage JSON API server', () => {
  it('uploads the bytes as an opaque object, serves them byte-identical through a signed link, and deletes them', async () => {
    const bytes = randomBytes(300_000);
    const fileId = await saved(bytes);
    const object = fake.objects.get(fileId)!;
    expect(object.bytes.equals(bytes)).toBe(true);
    expect(object.contentType).toBe('application/octet-stream');

    const url = new URL(await storage.readLink(fileId, randomUUID(), inHours(24)));
    expect(url.origin).toBe(fake.origin);
    expect(storage.downloadOrigin).toBe(fake.origin);
    expect(url.pathname).toBe(`/${BUCKET}/${fileId}`);
    expect(url.searchParams.get('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
    // Seconds from signing to the expiry asked for: 24 h, less the time since the Date was made.
    expect(Number(url.searchParams.get('X-Goog-Expires'))).toBeGreaterThan(86_000);
    expect(Number(url.searchParams.get('X-Goog-Expires'))).toBeLessThanOrEqual(86_400);

    const response = await fetch(url, { headers: { Origin: 'https://chat.example.com' } });
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(response.headers.get('content-disposition')).toBe('attachment');
    expect(response.headers.get('access-control-allow-origin')).toBe('https://chat.example.com');

    await storage.delete([fileId]);
    expect(fake.objects.has(fileId)).toBe(false);
    const gone = await fetch(url);
    expect(gone.status).toBe(404);
    expect(await gone.text()).toContain('<Code>NoSuchKey</Code>');
  });

  it('answers a browser’s CORS preflight for the signed link', async () => {
    const fileId = await saved(randomBytes(100));
    const url = await storage.readLink(fileId, randomUUID(), inHours(1));
    const preflight = await fetch(url, { method: 'OPTIONS', headers: { Origin: 'https://chat.example.com', 'Access-Control-Request-Method': 'GET' } });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://chat.example.com');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET');
  });

  it('refuses a signed link whose signature, expiry, object or signer was changed (403 SignatureDoesNotMatch)', async () => {
    const fileId = await saved(randomBytes(1000));
    const other = await saved(randomBytes(1000));
    const link = await storage.readLink(fileId, randomUUID(), inHours(1));
    expect((await fetch(link)).status).toBe(200);

    const signature = new URL(link).searchParams.get('X-Goog-Signature')!;
    const flipped = new URL(link);
    flipped.searchParams.set('X-Goog-Signature', (signature[0] === 'a' ? 'b' : 'a') + signature.slice(1));
    const longer = new URL(link);
    longer.searchParams.set('X-Goog-Expires', '604800');
    const otherObject = new URL(link);
    otherObject.pathname = `/${BUCKET}/${other}`;
    const otherKey = makeServiceAccount(mkdtempSync(join(dir, 'other-')));
    // Same account name, another key: only the account's own key makes a valid signature.
    const forged = new URL(await driver(fake.origin, { ...otherKey, serviceAccount: { ...otherKey.serviceAccount, clientEmail: account.clientEmail } }).readLink(fileId, randomUUID(), inHours(1)));

    for (const tampered of [flipped, longer, otherObject, forged]) {
      const response = await fetch(tampered);
      expect(response.status).toBe(403);
      expect(response.headers.get('content-type')).toContain('application/xml');
      expect(await response.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    }
  });

  it('refuses a signed link after its expiry (400 ExpiredToken)', async () => {
    const fileId = await saved(randomBytes(1000));
    const link = await storage.readLink(fileId, randomUUID(), new Date(Date.now() + 2_000));
    expect((await fetch(link)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const response = await fetch(link);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('<Code>ExpiredToken</Code>');
  });

  it('deletes ids that have no object without an error', async () => {
    const fileId = await saved(randomBytes(10));
    await storage.delete([randomUUID(), fileId, randomUUID()]);
    expect(fake.objects.has(fileId)).toBe(false);
  });

  it('leaves no object when the input stream fails, and passes the input’s own error on', async () => {
    const fileId = randomUUID();
    const failure = new Error('the client went away');
    const input = new Readable({ read() {} });
    input.push(randomBytes(40_000));
    setTimeout(() => input.destroy(failure), 100);
    await expect(storage.save(fileId, input, 1_000_000)).rejects.toBe(failure);
    expect(fake.objects.has(fileId)).toBe(false);
  });

  it('turns a failing bucket into FileStorageUnavailable and leaves no object', async () => {
    fake.failWith = 503;
    const fileId = randomUUID();
    const upload = storage.save(fileId, body(randomBytes(5000)), 5000);
    await expect(upload).rejects.toBeInstanceOf(FileStorageUnavailable);
    await expect(storage.delete([fileId])).rejects.toBeInstanceOf(FileStorageUnavailable);
    fake.failWith = undefined;
    expect(fake.objects.has(fileId)).toBe(false);
  });

  it('deletes an object that landed although the upload failed', async () => {
    fake.failAfterStoring = true;
    const fileId = randomUUID();
    await expect(storage.save(fileId, body(randomBytes(5000)), 5000)).rejects.toBeInstanceOf(FileStorageUnavailable);
    expect(fake.requests.filter((request) => request.endsWith(`/o/${fileId}`))).toEqual([`DELETE /b/${BUCKET}/o/${fileId}`]);
    expect(fake.objects.has(fileId)).toBe(false);
  });

  it('fails with FileStorageUnavailable when nothing listens at the endpoint', async () => {
    const dead = driver(`http://127.0.0.1:${await freePort()}`);
    await expect(dead.save(randomUUID(), body(randomBytes(5000)), 5000)).rejects.toBeInstanceOf(FileStorageUnavailable);
    await expect(dead.delete([randomUUID()])).rejects.toBeInstanceOf(FileStorageUnavailable);
    // Signing is local: a link can still be made (and the browser's fetch is what fails).
    expect(new URL(await dead.readLink(randomUUID(), randomUUID(), inHours(1))).searchParams.get('X-Goog-Signature')).toMatch(/^[0-9a-f]{512}$/);
  });

  it('gives up on an endpoint that accepts connections and never answers, after its timeouts', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket.on('error', () => undefined)));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const hung = driver(`http://127.0.0.1:${(silent.address() as { port: number }).port}`, account, { uploadMs: 1_000, requestMs: 1_000, maxRetries: 1, totalSeconds: 3 });
      await expect(hung.save(randomUUID(), body(randomBytes(5000)), 5000)).rejects.toBeInstanceOf(FileStorageUnavailable);
      await expect(hung.delete([randomUUID()])).rejects.toBeInstanceOf(FileStorageUnavailable);
    } finally {
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

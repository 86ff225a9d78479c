import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FILE_BODY_TYPE, FILE_PATHS, type FileLink, type FileUploadResult, type RoomSummary } from '@conclave/contracts';
import { decryptFile } from '@conclave/crypto';
import type { Socket } from 'socket.io-client';
import { type Account, type Client, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { sql } from '../support/db.js';
import { FakeCloudStorage, makeServiceAccount, type ServiceAccountKey } from '../support/fake-cloud-storage.js';
import { encryptedFile, sampleFiles, sendFileMessage, upload } from '../support/files.js';
import { createRoom, joinAndAdmit } from '../support/membership.js';
import { ServerProcess } from '../support/server.js';
import { ask, CHAT_EVENTS, connect, connected, makeFirstEpoch, resultOf, sessionCookie } from '../support/sockets.js';

/**
 * The whole app with FILE_STORAGE=firebase: the real firebase-admin SDK (its Cloud Storage client) in the server talks to
 * a local Cloud Storage JSON API server that verifies each V4 signed URL with the service account's
 * public key (test/support/fake-cloud-storage.ts). Links expire after LINK_TTL_SECONDS.
 */
const BUCKET = 'conclave-e2e.appspot.com';
const LINK_TTL_SECONDS = 5;

interface Member {
  account: Account;
  rest: Client;
  socket: Socket;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(200);
  }
}

describe('files with the firebase driver (FILE_STORAGE=firebase)', () => {
  let dir: string;
  let account: ServiceAccountKey;
  let fake: FakeCloudStorage;
  let server: ServerProcess;
  let ann: Member;
  let ben: Member;
  let room: RoomSummary;
  let epochKey: CryptoKey;

  async function member(name: string): Promise<Member> {
    const account = await newAccount(name);
    const rest = await registeredClient(server, account);
    const socket = connect(server, await sessionCookie(server, account));
    await connected(socket);
    return { account, rest, socket };
  }

  /** What a browser does before attaching: encrypt for this room and id, PUT the ciphertext. */
  async function uploaded(from: Member, target: { id: string; code: string }, name = 'notes.txt', bytes = new Uint8Array(Buffer.from(`notes ${randomUUID()}`))) {
    const file = await encryptedFile(target.id, name, bytes);
    const response = await upload(from.rest, target.code, file.fileId, file.ciphertext, file.descriptor.mime);
    return { ...file, plaintext: bytes, response };
  }

  /** The file message that carries an upload (message:send with its fileId), which must be stored. */
  async function attach(from: Member, target: { id: string }, key: CryptoKey, file: Awaited<ReturnType<typeof uploaded>>): Promise<void> {
    resultOf((await sendFileMessage(from.socket, from.account, { id: target.id, epoch: 1, epochKey: key }, file)).reply);
  }

  async function link(as: Member, code: string, fileId: string): Promise<FileLink> {
    return (await as.rest.post(FILE_PATHS.link(code, fileId)).expect(200)).body as FileLink;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'conclave-firebase-e2e-'));
    account = makeServiceAccount(dir);
    fake = await FakeCloudStorage.start(BUCKET, account);
    server = await ServerProcess.start({
      env: {
        ...FAST_AUTH_ENV,
        REGISTER_LIMIT_PER_HOUR: '1000',
        CHAT_RATE_LIMIT: 'burst',
        FILE_STORAGE: 'firebase',
        FIREBASE_STORAGE_BUCKET: BUCKET,
        FIREBASE_SERVICE_ACCOUNT_FILE: account.file,
        FIREBASE_STORAGE_ENDPOINT: fake.origin,
        FILE_LINK_TTL_SECONDS: String(LINK_TTL_SECONDS),
        FILE_SWEEP_INTERVAL_SECONDS: '1',
      },
    });
    [ann, ben] = [await member('ann'), await member('ben')];
    room = await createRoom(server, ann, { name: 'Shared files', history: 'shared' });
    await joinAndAdmit(server, ben, room, ann);
    for (const m of [ann, ben]) resultOf(await ask(m.socket, CHAT_EVENTS.enter, { code: room.code }));
    epochKey = await makeFirstEpoch(ann.socket, room.id, ann.account, [ann.account, ben.account]);
  });

  afterAll(async () => {
    ann?.socket.disconnect();
    ben?.socket.disconnect();
    await server?.stop();
    await fake?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(fake.unknownRequests).toEqual([]);
    fake.failWith = undefined;
  });

  it('adds the storage origin to the CSP connect-src', async () => {
    const csp = (await ann.rest.get('/').expect(200)).headers['content-security-policy'] as string;
    const connectSrc = csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('connect-src'));
    expect(connectSrc?.split(/\s+/)).toContain(fake.origin);
    // Decrypted images are shown from blob: URLs only; nothing else may become an image.
    const imgSrc = csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('img-src'));
    expect(imgSrc?.split(/\s+/)).toEqual(['img-src', "'self'", 'blob:']);
  });

  it('stores the upload as an object holding the ciphertext; a member’s link is a signed URL the storage serves byte-identical', async () => {
    const file = await uploaded(ann, room);
    expect(file.response.status).toBe(201);
    expect(file.response.body as FileUploadResult).toMatchObject({ fileId: file.fileId, bytes: file.ciphertext.length, mime: 'text/plain' });
    expect(fake.objects.get(file.fileId)?.bytes.equals(Buffer.from(file.ciphertext))).toBe(true);
    expect(fake.objects.get(file.fileId)?.contentType).toBe(FILE_BODY_TYPE);
    await attach(ann, room, epochKey, file);

    const { url, expiresAt } = await link(ben, room.code, file.fileId);
    const signed = new URL(url);
    expect(signed.origin).toBe(fake.origin);
    expect(signed.pathname).toBe(`/${BUCKET}/${file.fileId}`);
    expect(signed.searchParams.get('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
    expect(Math.abs(Date.parse(expiresAt) - Date.now() - LINK_TTL_SECONDS * 1000)).toBeLessThan(LINK_TTL_SECONDS * 1000);

    const download = await fetch(url, { headers: { Origin: server.origin } });
    expect(download.status).toBe(200);
    expect(download.headers.get('access-control-allow-origin')).toBe(server.origin);
    const bytes = new Uint8Array(await download.arrayBuffer());
    expect(Buffer.from(bytes).equals(Buffer.from(file.ciphertext))).toBe(true);
    const plaintext = await decryptFile(bytes, file.descriptor, { roomId: room.id, fileId: file.fileId });
    expect(Buffer.from(plaintext).equals(Buffer.from(file.plaintext))).toBe(true);

    // The local driver's download route has nothing to serve with this driver.
    await ben.rest.get(FILE_PATHS.download(file.fileId)).expect(404);
  });

  it('keeps only ciphertext in the bucket for files of every allowed type, each served back byte-identical', async () => {
    const marker = `firebase-plaintext-${randomUUID()}`;
    // Ann and ben take turns: each stays under CHAT_RATE_LIMIT=burst (5 messages in 10 s).
    for (const [i, sample] of sampleFiles(marker).entries()) {
      const [sender, reader] = i % 2 ? [ben, ann] : [ann, ben];
      const file = await uploaded(sender, room, sample.name, sample.bytes);
      expect(file.response.status).toBe(201);
      await attach(sender, room, epochKey, file);
      const served = new Uint8Array(await (await fetch((await link(reader, room.code, file.fileId)).url)).arrayBuffer());
      expect(Buffer.from(await decryptFile(served, file.descriptor, { roomId: room.id, fileId: file.fileId })).equals(Buffer.from(sample.bytes))).toBe(true);
    }
    const stored = [...fake.objects.values()];
    expect(stored.length).toBeGreaterThanOrEqual(sampleFiles(marker).length);
    for (const object of stored) expect(object.bytes.includes(marker)).toBe(false);
  });

  it('refuses a tampered link and an expired one at the storage; a new link works again', async () => {
    const file = await uploaded(ben, room);
    await attach(ben, room, epochKey, file);
    const { url } = await link(ann, room.code, file.fileId);

    const tampered = new URL(url);
    const signature = tampered.searchParams.get('X-Goog-Signature')!;
    tampered.searchParams.set('X-Goog-Signature', `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`);
    const forgedTarget = new URL(url);
    forgedTarget.pathname = `/${BUCKET}/${randomUUID()}`;
    for (const bad of [tampered, forgedTarget]) {
      const refused = await fetch(bad);
      expect(refused.status).toBe(403);
      expect(await refused.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    }

    await sleep((LINK_TTL_SECONDS + 1) * 1000);
    const expired = await fetch(url);
    expect(expired.status).toBe(400);
    expect(await expired.text()).toContain('<Code>ExpiredToken</Code>');

    const renewed = await fetch((await link(ann, room.code, file.fileId)).url);
    expect(renewed.status).toBe(200);
    expect(Buffer.from(await renewed.arrayBuffer()).equals(Buffer.from(file.ciphertext))).toBe(true);
  });

  it('answers 503 with Retry-After when the bucket fails, and keeps neither the row nor an object', async () => {
    fake.failWith = 503;
    const file = await uploaded(ann, room);
    expect(file.response.status).toBe(503);
    expect(file.response.headers['retry-after']).toBeDefined();
    fake.failWith = undefined;
    // Its row goes once the (failing) bucket has confirmed there is no object: at once, or at the next sweep.
    await until('the failed upload’s row to go', async () => (await sql(server, `SELECT id FROM files WHERE id = $1`, [file.fileId])).length === 0);
    expect(fake.objects.has(file.fileId)).toBe(false);
  });

  it('deletes the object of a pending upload the sweeper removes', async () => {
    const file = await uploaded(ann, room);
    expect(file.response.status).toBe(201);
    expect(fake.objects.has(file.fileId)).toBe(true);
    await sql(server, `UPDATE files SET created_at = now() - interval '2 hours' WHERE id = $1`, [file.fileId]);
    await until('the pending upload’s object to be deleted', () => !fake.objects.has(file.fileId));
    expect(await sql(server, `SELECT id FROM files WHERE id = $1`, [file.fileId])).toEqual([]);
  });

  it('deletes the objects of a room when its last member leaves', async () => {
    const cat = await member('cat');
    try {
      const own = await createRoom(server, cat, { name: 'Short-lived', history: 'shared' });
      resultOf(await ask(cat.socket, CHAT_EVENTS.enter, { code: own.code }));
      const key = await makeFirstEpoch(cat.socket, own.id, cat.account, [cat.account]);
      const attached = await uploaded(cat, own);
      await attach(cat, own, key, attached);
      const pending = await uploaded(cat, own);
      expect(fake.objects.has(attached.fileId) && fake.objects.has(pending.fileId)).toBe(true);

      await cat.rest.post(`/api/rooms/${own.code}/leave`).expect(204);
      await until('the deleted room’s objects to be deleted', () => !fake.objects.has(attached.fileId) && !fake.objects.has(pending.fileId));
      expect(await sql(server, `SELECT id FROM files WHERE id = ANY($1)`, [[attached.fileId, pending.fileId]])).toEqual([]);
    } finally {
      cat.socket.disconnect();
    }
  });

  it('keeps the rows of a deleted room’s files while the bucket fails, and deletes their objects once it is back', async () => {
    const dan = await member('dan');
    try {
      const own = await createRoom(server, dan, { name: 'Outage', history: 'shared' });
      const pending = await uploaded(dan, own);
      expect(pending.response.status).toBe(201);
      fake.failWith = 503;
      await dan.rest.post(`/api/rooms/${own.code}/leave`).expect(204);
      await until('a delete tried while the bucket fails', () => fake.requests.some((r) => r === `DELETE /b/${BUCKET}/o/${pending.fileId}`));
      expect(await sql(server, `SELECT state FROM files WHERE id = $1`, [pending.fileId])).toEqual([{ state: 'deleting' }]);
      expect(fake.objects.has(pending.fileId)).toBe(true);
      fake.failWith = undefined;
      await until('the object to be deleted once the bucket is back', () => !fake.objects.has(pending.fileId), 40_000);
      await until('its row to go after it', async () => (await sql(server, `SELECT id FROM files WHERE id = $1`, [pending.fileId])).length === 0);
    } finally {
      dan.socket.disconnect();
    }
  }, 90_000);
});

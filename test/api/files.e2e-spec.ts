import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CHAT_EVENTS,
  FILE_BODY_TYPE,
  FILE_PATHS,
  FILE_PENDING_PER_USER_MAX,
  FILE_TYPE_PARAM,
  type FileLink,
  LIMITS,
  type RoomSummary,
  type StoredMessage,
} from '@conclave/contracts';
import { decryptFile } from '@conclave/crypto';
import { FAST_AUTH_ENV } from '../support/accounts.js';
import { sql } from '../support/db.js';
import { bytesBody, encryptedFile, rawRequest, sampleFiles, sendFileMessage, upload, uploadHead } from '../support/files.js';
import { createRoom, joinAndAdmit } from '../support/membership.js';
import { type ChatMember, chatMember, enterRoom } from '../support/chat-members.js';
import { ServerProcess } from '../support/server.js';
import { ask, askRaw, makeFirstEpoch, next, resultOf } from '../support/sockets.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface KeyedRoom extends RoomSummary {
  epoch: number;
  epochKey: CryptoKey;
}

/** A room of `owner` with `others` admitted, everyone entered, epoch 1 made by the owner. */
async function keyedRoom(server: ServerProcess, owner: ChatMember, others: ChatMember[], history: 'shared' | 'joined' = 'shared'): Promise<KeyedRoom> {
  const room = await createRoom(server, owner, { name: `Files ${randomUUID().slice(0, 6)}`, history });
  for (const m of others) await joinAndAdmit(server, m, room, owner);
  for (const m of [owner, ...others]) await enterRoom(m, room.code);
  const epochKey = await makeFirstEpoch(owner.socket, room.id, owner.account, [owner, ...others].map((m) => m.account));
  return { ...room, epoch: 1, epochKey };
}

/** message:send of a file message, waiting out the message rate when refused for it. */
async function sendFile(m: ChatMember, room: KeyedRoom, file: Awaited<ReturnType<typeof encryptedFile>>, fileId?: string) {
  for (;;) {
    const sent = await sendFileMessage(m.socket, m.account, room, file, fileId);
    if (sent.reply.ok || sent.reply.error.code !== 'rate-limited') return sent;
    await sleep((sent.reply.error as { retryAfterMs?: number }).retryAfterMs ?? 1000);
  }
}

/** Uploads and attaches a file of `bytes`; returns it with its stored message's seq. */
async function share(m: ChatMember, room: KeyedRoom, name: string, bytes: Uint8Array<ArrayBuffer>) {
  const file = await encryptedFile(room.id, name, bytes);
  await upload(m.rest, room.code, file.fileId, file.ciphertext, file.descriptor.mime).expect(201);
  const { reply } = await sendFile(m, room, file);
  if (!reply.ok) throw new Error(`sending the file message failed: ${JSON.stringify(reply)}`);
  return { ...file, seq: reply.result.seq };
}

async function linkFor(m: ChatMember, room: { code: string }, fileId: string): Promise<FileLink> {
  return (await m.rest.post(FILE_PATHS.link(room.code, fileId)).expect(200)).body as FileLink;
}

function download(server: ServerProcess, m: ChatMember, url: string) {
  return m.rest.get(url).buffer(true).parse(bytesBody);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

const objectPath = (server: ServerProcess, fileId: string) => join(server.dataDir, 'files', fileId.slice(0, 2), fileId);
const filesRows = (server: ServerProcess, fileId: string) => sql(server, `SELECT state, message_seq FROM files WHERE id = $1`, [fileId]);

function allStoredObjects(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('encrypted files, local storage (docs/protocol.md §10)', () => {
  let server: ServerProcess;
  let ann: ChatMember;
  let ben: ChatMember;
  let cai: ChatMember;
  let room: KeyedRoom;

  beforeAll(async () => {
    server = await ServerProcess.start({
      env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', CHAT_RATE_LIMIT: 'burst', FILE_SWEEP_INTERVAL_SECONDS: '1', FILE_QUOTA_MB_PER_USER: '64' },
    });
    [ann, ben, cai] = [await chatMember(server, 'ann'), await chatMember(server, 'ben'), await chatMember(server, 'cai')];
    room = await keyedRoom(server, ann, [ben]);
  });

  afterAll(async () => {
    for (const m of [ann, ben, cai]) m?.socket.disconnect();
    await server?.stop();
  });

  describe('upload admission', () => {
    it('accepts 8 MiB of file plus the 16-byte tag, streamed to DATA_DIR/files', async () => {
      const fileId = randomUUID();
      const body = randomBytes(LIMITS.fileCiphertextBytes);
      const res = await upload(ann.rest, room.code, fileId, body, 'application/pdf').expect(201);
      expect(res.body).toEqual({ fileId, bytes: LIMITS.fileCiphertextBytes, mime: 'application/pdf', pendingUntil: expect.any(String) });
      expect(Date.parse(res.body.pendingUntil) - Date.now()).toBeGreaterThan(59 * 60_000);
      expect(readFileSync(objectPath(server, fileId)).equals(body)).toBe(true);
      expect(await filesRows(server, fileId)).toEqual([{ state: 'stored', message_seq: null }]);
      const [audit] = await sql(server, `SELECT actor_id, details FROM audit_log WHERE event = 'file.upload' AND details->>'fileId' = $1`, [fileId]);
      expect(audit).toEqual({ actor_id: ann.account.userId, details: { fileId, roomId: room.id, bytes: LIMITS.fileCiphertextBytes, mime: 'application/pdf' } });
    });

    it('answers one byte more with 413 from the headers alone, and closes the connection without waiting for the body', async () => {
      const fileId = randomUUID();
      const answer = await rawRequest(server, uploadHead(server, ann.cookie, room.code, fileId, 'image/png', LIMITS.fileCiphertextBytes + 1), { waitMs: 10_000 });
      expect(answer.status).toBe(413);
      expect(answer.text).toMatch(/connection: close/i);
      expect(answer.closedByServer).toBe(true);
      expect(await filesRows(server, fileId)).toEqual([]);
    });

    it('refuses a missing Content-Length (411), a body too short to be ciphertext, a type not allowed, a malformed id (400), a body that is not octet-stream (415): nothing stored', async () => {
      const fileId = randomUUID();
      const chunked = await rawRequest(server, uploadHead(server, ann.cookie, room.code, fileId, 'image/png', 0).replace('Content-Length: 0', 'Transfer-Encoding: chunked'));
      expect(chunked.status).toBe(411);
      const short = await upload(ann.rest, room.code, fileId, randomBytes(16), 'image/png').expect(400);
      expect(short.body.message).toMatch(/at least 17 bytes/);
      for (const type of ['application/x-msdownload', 'text/html', 'image/svg+xml', '']) {
        const res = await upload(ann.rest, room.code, fileId, randomBytes(64), type).expect(400);
        expect(res.body.message).toMatch(/must be one of text\/plain, application\/pdf, image\/png, image\/jpeg, image\/gif/);
      }
      const noType = await ann.rest.put(FILE_PATHS.upload(room.code, fileId)).set('Content-Type', FILE_BODY_TYPE).send(randomBytes(64)).expect(400);
      expect(noType.body.message).toMatch(/\?type=/);
      for (const bad of [fileId.toUpperCase(), 'not-a-uuid', `${fileId}0`]) {
        const res = await upload(ann.rest, room.code, bad, randomBytes(64), 'image/png').expect(400);
        expect(res.body.message).toBe('fileId must be a lower-case UUID');
      }
      await ann.rest.put(`${FILE_PATHS.upload(room.code, fileId)}?${FILE_TYPE_PARAM}=image/png`).set('Content-Type', 'text/plain').send('x'.repeat(64)).expect(415);
      expect(await filesRows(server, fileId)).toEqual([]);
      expect(existsSync(objectPath(server, fileId))).toBe(false);
    });

    it('refuses non-members with the same 404 as an unknown room, for upload, link and the room total', async () => {
      const fileId = randomUUID();
      const res = await upload(cai.rest, room.code, fileId, randomBytes(64), 'image/png').expect(404);
      const unknown = await upload(cai.rest, 'ZZZZ', fileId, randomBytes(64), 'image/png').expect(404);
      expect(res.body.message).toBe(unknown.body.message.replace('ZZZZ', room.code));
      await cai.rest.post(FILE_PATHS.link(room.code, fileId)).expect(404);
      await cai.rest.get(FILE_PATHS.roomUsage(room.code)).expect(404);
      expect(await filesRows(server, fileId)).toEqual([]);
    });

    it('refuses a file id already used (409)', async () => {
      const fileId = randomUUID();
      await upload(ann.rest, room.code, fileId, randomBytes(64), 'image/gif').expect(201);
      const again = await upload(ben.rest, room.code, fileId, randomBytes(64), 'image/gif').expect(409);
      expect(again.body.message).toMatch(/already used/);
      expect(await sql(server, `SELECT uploader_id FROM files WHERE id = $1`, [fileId])).toEqual([{ uploader_id: ann.account.userId }]);
    });

    it('refuses a same-origin-less upload from a browser session (the CSRF check applies)', async () => {
      const fileId = randomUUID();
      const head = uploadHead(server, ann.cookie, room.code, fileId, 'image/png', 64).replace(`Origin: ${server.origin}\n`, 'Origin: https://evil.example\n');
      expect((await rawRequest(server, head, { body: randomBytes(64) })).status).toBe(403);
      expect(await filesRows(server, fileId)).toEqual([]);
    });
  });

  describe('streaming', () => {
    it('leaves nothing behind when the client goes away mid-upload', async () => {
      const fileId = randomUUID();
      await rawRequest(server, uploadHead(server, ann.cookie, room.code, fileId, 'image/png', 1_000_000), { body: randomBytes(300_000), destroyAfterBody: true });
      await until('the aborted upload to be forgotten', async () => (await filesRows(server, fileId)).length === 0 && !existsSync(objectPath(server, fileId)));
      expect(existsSync(`${objectPath(server, fileId)}.part`)).toBe(false);
    });

    it('never stores bytes sent past Content-Length: Node reads them as a next request, refuses it and closes the connection', async () => {
      const fileId = randomUUID();
      const declared = randomBytes(5000);
      const extra = randomBytes(700);
      const answer = await rawRequest(server, uploadHead(server, ann.cookie, room.code, fileId, 'image/png', declared.length), { body: Buffer.concat([declared, extra]) });
      expect(answer.text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\nConnection: close/m);
      expect(answer.closedByServer).toBe(true);
      // Usually the connection dies with the upload still streaming (aborted: nothing kept); if the
      // upload finished first it holds exactly the declared bytes.
      await until('the upload to settle', async () => {
        const rows = await filesRows(server, fileId);
        return rows.length === 0 ? !existsSync(objectPath(server, fileId)) : rows[0]!.state === 'stored';
      });
      if (existsSync(objectPath(server, fileId))) expect(readFileSync(objectPath(server, fileId)).equals(declared)).toBe(true);
      for (const path of allStoredObjects(join(server.dataDir, 'files'))) expect(readFileSync(path).includes(extra)).toBe(false);
    });
  });

  describe('storage failure', () => {
    it('answers an upload the driver cannot store with 503 and Retry-After, keeps no row, and the process lives on', async () => {
      // An id whose object directory no earlier upload has made (one in 256 ids shares any given prefix).
      let fileId: string;
      do fileId = randomUUID();
      while (existsSync(join(server.dataDir, 'files', fileId.slice(0, 2))));
      const blocked = join(server.dataDir, 'files', fileId.slice(0, 2));
      // The object's directory cannot be made: a plain file stands where it would be.
      mkdirSync(join(server.dataDir, 'files'), { recursive: true, mode: 0o700 });
      writeFileSync(blocked, 'in the way');
      try {
        const res = await upload(ann.rest, room.code, fileId, randomBytes(4096), 'image/png').expect(503);
        expect(res.headers['retry-after']).toBe('10');
        expect(res.body.message).toMatch(/^File storage unavailable/);
        expect(await filesRows(server, fileId)).toEqual([]);
        expect(server.stdout).toMatch(/file storage \(local\) failed at upload/);
      } finally {
        rmSync(blocked);
      }
      await upload(ann.rest, room.code, fileId, randomBytes(4096), 'image/png').expect(201);
    });
  });

  describe('attaching a file to a message', () => {
    it('stores the message with its fileId, relays it, and the file can be fetched and decrypted by a member', async () => {
      const [sample] = sampleFiles('attach-marker');
      const file = await encryptedFile(room.id, sample!.name, sample!.bytes);
      await upload(ann.rest, room.code, file.fileId, file.ciphertext, file.descriptor.mime).expect(201);
      const incoming = next(ben.socket, CHAT_EVENTS.message);
      const { reply, envelope } = await sendFile(ann, room, file);
      expect(reply).toEqual({ ok: true, result: { seq: expect.any(Number), createdAt: expect.any(String), duplicate: false } });
      const seq = reply.ok ? reply.result.seq : 0;
      expect(await incoming).toMatchObject({ clientMsgId: envelope.clientMsgId, fileId: file.fileId, seq });
      expect(await filesRows(server, file.fileId)).toEqual([{ state: 'stored', message_seq: String(seq) }]);
      const history = resultOf(await ask(ben.socket, CHAT_EVENTS.history, { roomId: room.id }));
      expect(history.messages.find((m: StoredMessage) => m.seq === seq)?.fileId).toBe(file.fileId);

      const link = await linkFor(ben, room, file.fileId);
      expect(link.url).toMatch(new RegExp(`^/api/files/${file.fileId}\\?expires=\\d+&sig=[\\w-]+$`));
      expect(Date.parse(link.expiresAt) - Date.now()).toBeGreaterThan(23 * 3600_000);
      const res = await download(server, ben, link.url).expect(200);
      expect(res.headers['content-type']).toBe(FILE_BODY_TYPE);
      expect(res.headers['cache-control']).toBe('private, no-store');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-disposition']).toBe('attachment');
      expect(Number(res.headers['content-length'])).toBe(file.ciphertext.length);
      const plaintext = await decryptFile(new Uint8Array(res.body as Buffer), file.descriptor, { roomId: room.id, fileId: file.fileId });
      expect(Buffer.from(plaintext).equals(Buffer.from(sample!.bytes))).toBe(true);
      const [audit] = await sql(server, `SELECT actor_id, details FROM audit_log WHERE event = 'file.link' AND details->>'fileId' = $1`, [file.fileId]);
      expect(audit).toEqual({ actor_id: ben.account.userId, details: { fileId: file.fileId, roomId: room.id } });
    });

    it('returns the stored message for a resend of its clientMsgId (duplicate), not file-unavailable', async () => {
      const file = await encryptedFile(room.id, 'again.txt', new Uint8Array(Buffer.from('sent twice')));
      await upload(ann.rest, room.code, file.fileId, file.ciphertext, file.descriptor.mime).expect(201);
      const first = await sendFile(ann, room, file);
      expect(first.reply.ok).toBe(true);
      for (;;) {
        const resend = await askRaw(ann.socket, CHAT_EVENTS.send, { ...first.envelope, fileId: file.fileId });
        if (!resend.ok && resend.error.code === 'rate-limited') {
          await sleep(1000);
          continue;
        }
        expect(resend).toEqual({ ok: true, result: { seq: (first.reply as { result: { seq: number } }).result.seq, createdAt: expect.any(String), duplicate: true } });
        break;
      }
    });

    it('refuses (file-unavailable, nothing stored) another member’s upload, a file of another room, a file already carried, an unknown file', async () => {
      const other = await keyedRoom(server, ann, [ben]);
      const annsFile = await encryptedFile(room.id, 'anns.txt', new Uint8Array(Buffer.from('ann wrote this')));
      await upload(ann.rest, room.code, annsFile.fileId, annsFile.ciphertext, 'text/plain').expect(201);
      const elsewhere = await encryptedFile(other.id, 'elsewhere.txt', new Uint8Array(Buffer.from('in the other room')));
      await upload(ann.rest, other.code, elsewhere.fileId, elsewhere.ciphertext, 'text/plain').expect(201);
      const refused = { ok: false, error: { code: 'file-unavailable', message: expect.stringContaining('cannot be attached'), event: CHAT_EVENTS.send } };

      const bens = await sendFile(ben, room, annsFile);
      expect(bens.reply).toEqual(refused);
      const moved = await sendFile(ann, room, elsewhere);
      expect(moved.reply).toEqual(refused);
      const unknown = await sendFile(ann, room, annsFile, randomUUID());
      expect(unknown.reply).toEqual(refused);
      const carried = await sendFile(ann, room, annsFile);
      expect(carried.reply.ok).toBe(true);
      const twice = await sendFile(ann, room, annsFile);
      expect(twice.reply).toEqual(refused);
      const stored = await sql(server, `SELECT client_msg_id FROM messages WHERE client_msg_id = ANY($1)`, [[bens, moved, unknown, twice].map((s) => s.envelope.clientMsgId)]);
      expect(stored).toEqual([]);
      expect(await filesRows(server, elsewhere.fileId)).toEqual([{ state: 'stored', message_seq: null }]);
    });

    it('stores one of two messages naming one file in the same write batch, and refuses the other (file-unavailable)', async () => {
      const lead = await encryptedFile(room.id, 'lead.txt', new Uint8Array(Buffer.from('written alone')));
      const contested = await encryptedFile(room.id, 'contested.txt', new Uint8Array(Buffer.from('named twice')));
      for (const f of [lead, contested]) await upload(ann.rest, room.code, f.fileId, f.ciphertext, 'text/plain').expect(201);
      await sleep(10_500); // a fresh message-rate window for the three at once
      // The first is written alone while the next two queue: those two share one statement.
      const [first, a, b] = await Promise.all([sendFileMessage(ann.socket, ann.account, room, lead), sendFileMessage(ann.socket, ann.account, room, contested), sendFileMessage(ann.socket, ann.account, room, contested)]);
      expect(first.reply.ok).toBe(true);
      expect([a.reply.ok, b.reply.ok].sort()).toEqual([false, true]);
      expect([a, b].find((s) => !s.reply.ok)!.reply).toMatchObject({ ok: false, error: { code: 'file-unavailable' } });
      expect(await sql(server, `SELECT count(*)::int AS n FROM messages WHERE file_id = $1`, [contested.fileId])).toEqual([{ n: 1 }]);
    });

    it('checks a file for the envelope that names it: a refused envelope for it in the same batch lets no other carry it to another room', async () => {
      const second = await keyedRoom(server, ann, []);
      const file = await encryptedFile(room.id, 'here.txt', new Uint8Array(Buffer.from('belongs to the first room')));
      await upload(ann.rest, room.code, file.fileId, file.ciphertext, 'text/plain').expect(201);
      const lead = await encryptedFile(second.id, 'lead.txt', new Uint8Array(Buffer.from('written alone')));
      await upload(ann.rest, second.code, lead.fileId, lead.ciphertext, 'text/plain').expect(201);
      await sleep(10_500); // a fresh message-rate window for the three at once
      // The lead is written alone; the next two queue behind it and share one statement: a stale-epoch
      // envelope naming the file in its own room (refused), and one naming it in the second room.
      const [first, stale, elsewhere] = await Promise.all([
        sendFileMessage(ann.socket, ann.account, second, lead),
        sendFileMessage(ann.socket, ann.account, { ...room, epoch: 2 }, file),
        sendFileMessage(ann.socket, ann.account, second, file),
      ]);
      expect(first.reply.ok).toBe(true);
      expect(stale.reply).toMatchObject({ ok: false, error: { code: 'stale-epoch' } });
      expect(elsewhere.reply).toMatchObject({ ok: false, error: { code: 'file-unavailable' } });
      expect(await sql(server, `SELECT room_id FROM messages WHERE file_id = $1`, [file.fileId])).toEqual([]);
      expect(await filesRows(server, file.fileId)).toEqual([{ state: 'stored', message_seq: null }]);
    });

    it('refuses a malformed fileId on message:send with invalid-payload', async () => {
      const file = await encryptedFile(room.id, 'x.txt', new Uint8Array(Buffer.from('x')));
      const { reply } = await sendFile(ann, room, file, 'NOT-A-UUID');
      expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-payload', message: expect.stringContaining('fileId must be a lower-case UUID') } });
    });
  });

  describe('links and downloads', () => {
    let shared: Awaited<ReturnType<typeof share>>;
    let link: FileLink;

    beforeAll(async () => {
      shared = await share(ann, room, 'shared.png', sampleFiles('link-marker')[2]!.bytes);
      link = await linkFor(ann, room, shared.fileId);
    });

    it('gives no link for a pending, unknown or other room’s file (the same 404)', async () => {
      const pending = randomUUID();
      await upload(ann.rest, room.code, pending, randomBytes(64), 'image/png').expect(201);
      const answers = await Promise.all([pending, randomUUID()].map((id) => ann.rest.post(FILE_PATHS.link(room.code, id)).expect(404)));
      expect(answers.map((a) => a.body.message)).toEqual(['No such file in this room', 'No such file in this room']);
      const other = (await ann.rest.post('/api/rooms', { name: 'No files', history: 'shared' }).expect(201)).body as RoomSummary;
      expect((await ann.rest.post(FILE_PATHS.link(other.code, shared.fileId)).expect(404)).body.message).toBe('No such file in this room');
      await ann.rest.post(FILE_PATHS.link(room.code, 'NOT-AN-ID')).expect(400);
    });

    it('refuses a tampered signature or expiry (403) and a link used by another signed-in user (403)', async () => {
      const url = new URL(link.url, server.origin);
      const sig = url.searchParams.get('sig')!;
      const tampered = new URL(url);
      tampered.searchParams.set('sig', `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`);
      expect((await download(server, ann, tampered.pathname + tampered.search).expect(403)).body.toString()).toMatch(/not valid for you/);
      const later = new URL(url);
      later.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
      await download(server, ann, later.pathname + later.search).expect(403);
      await download(server, ann, url.pathname).expect(403);
      // Ben is a member and may read the file, but this link was issued to ann.
      await download(server, ben, link.url).expect(403);
      await download(server, cai, link.url).expect(403);
      await download(server, ann, link.url).expect(200);
    });

    it('refuses a download without a session (401)', async () => {
      const { default: request } = await import('supertest');
      await request(server.origin).get(link.url).ca(server.certificate).expect(401);
    });

    it('counts the room’s attached files for its members, and the caller’s uploads against the quota', async () => {
      const usage = (await ben.rest.get(FILE_PATHS.roomUsage(room.code)).expect(200)).body;
      const [expected] = await sql<{ files: number; bytes: string }>(server, `SELECT count(*)::int AS files, sum(bytes)::bigint AS bytes FROM files WHERE room_id = $1 AND message_seq IS NOT NULL`, [room.id]);
      expect(usage).toEqual({ files: expected!.files, bytes: Number(expected!.bytes) });
      expect(usage.files).toBeGreaterThanOrEqual(3);
      const mine = (await ann.rest.get(FILE_PATHS.usage).expect(200)).body;
      const [used] = await sql<{ bytes: string }>(server, `SELECT sum(bytes)::bigint AS bytes FROM files WHERE uploader_id = $1 AND room_id IS NOT NULL`, [ann.account.userId]);
      expect(mine).toEqual({ usedBytes: Number(used!.bytes), quotaBytes: 64 * 1024 * 1024 });
    });

    it('gives a `joined`-room newcomer no link for a file shared before they joined, and one for a file shared after', async () => {
      const dee = await chatMember(server, 'dee');
      try {
        const joined = await keyedRoom(server, ann, [], 'joined');
        const before = await share(ann, joined, 'before.txt', new Uint8Array(Buffer.from('before dee')));
        await joinAndAdmit(server, dee, joined, ann);
        expect((await dee.rest.post(FILE_PATHS.link(joined.code, before.fileId)).expect(404)).body.message).toBe('No such file in this room');
        const afterFile = await encryptedFile(joined.id, 'after.txt', new Uint8Array(Buffer.from('after dee')));
        await upload(ann.rest, joined.code, afterFile.fileId, afterFile.ciphertext, 'text/plain').expect(201);
        const { reply } = await sendFile(ann, joined, afterFile);
        expect(reply.ok).toBe(true);
        await linkFor(dee, joined, afterFile.fileId);
      } finally {
        dee.socket.disconnect();
      }
    });

    it('refuses a removed member a link, and a download through a link issued before the removal', async () => {
      const eve = await chatMember(server, 'eve');
      try {
        const small = await keyedRoom(server, ann, [eve]);
        const file = await share(ann, small, 'kept.txt', new Uint8Array(Buffer.from('not for eve after')));
        const eves = await linkFor(eve, small, file.fileId);
        await download(server, eve, eves.url).expect(200);
        await ann.rest.post(`/api/rooms/${small.code}/members/${eve.account.userId}/remove`).expect(204);
        await eve.rest.post(FILE_PATHS.link(small.code, file.fileId)).expect(404);
        await download(server, eve, eves.url).expect(404);
      } finally {
        eve.socket.disconnect();
      }
    });
  });

  describe('removal', () => {
    it('sweeps a pending upload older than an hour (row, then object); a message naming it is then file-unavailable', async () => {
      const file = await encryptedFile(room.id, 'late.gif', sampleFiles('sweep-marker')[5]!.bytes);
      await upload(ann.rest, room.code, file.fileId, file.ciphertext, 'image/gif').expect(201);
      const young = await encryptedFile(room.id, 'young.gif', sampleFiles('young-marker')[5]!.bytes);
      await upload(ann.rest, room.code, young.fileId, young.ciphertext, 'image/gif').expect(201);
      await sql(server, `UPDATE files SET created_at = now() - interval '61 minutes' WHERE id = $1`, [file.fileId]);
      await until('the sweep', async () => (await filesRows(server, file.fileId)).length === 0);
      expect(existsSync(objectPath(server, file.fileId))).toBe(false);
      expect(await filesRows(server, young.fileId)).toEqual([{ state: 'stored', message_seq: null }]);
      expect(existsSync(objectPath(server, young.fileId))).toBe(true);
      const { reply } = await sendFile(ann, room, file);
      expect(reply).toMatchObject({ ok: false, error: { code: 'file-unavailable' } });
      const audit = await sql(server, `SELECT details FROM audit_log WHERE event = 'file.delete'`);
      expect(audit).toContainEqual({ details: { count: 1, reason: 'pending-expired' } });
    });

    it('deletes a room’s files (rows and objects, pending and attached) when its last member leaves', async () => {
      const fay = await chatMember(server, 'fay');
      try {
        const doomed = await keyedRoom(server, fay, []);
        const attached = await share(fay, doomed, 'attached.pdf', sampleFiles('doomed')[1]!.bytes);
        const pending = randomUUID();
        await upload(fay.rest, doomed.code, pending, randomBytes(100), 'image/png').expect(201);
        expect(existsSync(objectPath(server, attached.fileId))).toBe(true);
        expect((await fay.rest.get(FILE_PATHS.usage).expect(200)).body.usedBytes).toBe(attached.ciphertext.length + 100);
        await fay.rest.post(`/api/rooms/${doomed.code}/leave`).expect(204);
        await until('the deleted room’s files to go', async () => (await sql(server, `SELECT 1 FROM files WHERE id = ANY($1)`, [[attached.fileId, pending]])).length === 0);
        expect(existsSync(objectPath(server, attached.fileId))).toBe(false);
        expect(existsSync(objectPath(server, pending))).toBe(false);
        expect((await fay.rest.get(FILE_PATHS.usage).expect(200)).body.usedBytes).toBe(0);
        const audit = await sql(server, `SELECT details FROM audit_log WHERE event = 'file.delete'`);
        expect(audit).toContainEqual({ details: { count: 2, reason: 'room-deleted' } });
      } finally {
        fay.socket.disconnect();
      }
    });
  });

  it('keeps no plaintext, name or type-revealing content on disk or in the database after files of every allowed type were shared', async () => {
    const samples = sampleFiles('plaintext-marker-7f3a');
    for (const sample of samples) await share(ann, room, sample.name, sample.bytes);
    const objects = allStoredObjects(join(server.dataDir, 'files'));
    expect(objects.length).toBeGreaterThanOrEqual(samples.length);
    const tables = await sql<{ name: string }>(server, `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`);
    let dump = '';
    for (const { name } of tables) dump += JSON.stringify(await sql(server, `SELECT * FROM "${name}"`));
    expect(dump).toContain(room.id);
    const onDisk = objects.map((path) => readFileSync(path));
    for (const sample of samples) {
      const plain = Buffer.from(sample.bytes);
      for (const blob of onDisk) expect(blob.includes(plain)).toBe(false);
      for (const blob of onDisk) expect(blob.includes(Buffer.from('plaintext-marker-7f3a'))).toBe(false);
      expect(dump).not.toContain('plaintext-marker-7f3a');
      expect(dump).not.toContain(plain.toString('base64'));
      expect(dump).not.toContain(sample.name);
    }
    expect(statSync(join(server.dataDir, 'files')).mode & 0o077).toBe(0);
  });
});

describe('encrypted files: quota and link expiry', () => {
  let server: ServerProcess;
  let gus: ChatMember;
  let room: KeyedRoom;

  beforeAll(async () => {
    server = await ServerProcess.start({ env: { ...FAST_AUTH_ENV, CHAT_RATE_LIMIT: 'burst', FILE_QUOTA_MB_PER_USER: '1', FILE_LINK_TTL_SECONDS: '2' } });
    gus = await chatMember(server, 'gus');
    room = await keyedRoom(server, gus, []);
  });

  afterAll(async () => {
    gus?.socket.disconnect();
    await server?.stop();
  });

  it('refuses an upload past FILE_QUOTA_MB_PER_USER with 409 saying what is used, before reading it', async () => {
    await upload(gus.rest, room.code, randomUUID(), randomBytes(600 * 1024), 'image/png').expect(201);
    const fileId = randomUUID();
    const res = await upload(gus.rest, room.code, fileId, randomBytes(600 * 1024), 'image/png').expect(409);
    expect(res.body.message).toMatch(/^Storage quota exceeded: 0\.6 of 1 MiB used/);
    expect(await filesRows(server, fileId)).toEqual([]);
    expect((await gus.rest.get(FILE_PATHS.usage).expect(200)).body).toEqual({ usedBytes: 600 * 1024, quotaBytes: 1024 * 1024 });
  });

  it(`refuses a ${FILE_PENDING_PER_USER_MAX + 1}th upload waiting for its message with 409, however small, until one is sent`, async () => {
    const [{ already }] = await sql<{ already: number }>(server, `SELECT count(*)::int AS already FROM files WHERE uploader_id = $1 AND message_seq IS NULL`, [gus.account.userId]);
    const waiting: string[] = [];
    for (let i = already; i < FILE_PENDING_PER_USER_MAX; i++) {
      const fileId = randomUUID();
      await upload(gus.rest, room.code, fileId, randomBytes(17), 'image/gif').expect(201);
      waiting.push(fileId);
    }
    const res = await upload(gus.rest, room.code, randomUUID(), randomBytes(17), 'image/gif').expect(409);
    expect(res.body.message).toMatch(new RegExp(`^${FILE_PENDING_PER_USER_MAX} of your uploads are waiting for the message that carries them`));
    // Once some are gone, uploads are taken again.
    await sql(server, `DELETE FROM files WHERE id = ANY($1)`, [waiting]);
    await upload(gus.rest, room.code, randomUUID(), randomBytes(17), 'image/gif').expect(201);
  });

  it('answers a link after its expiry with 410, and a new link works', async () => {
    const file = await share(gus, room, 'soon.txt', new Uint8Array(Buffer.from('expires soon')));
    const link = await linkFor(gus, room, file.fileId);
    expect(Date.parse(link.expiresAt) - Date.now()).toBeLessThanOrEqual(2000);
    await sleep(Date.parse(link.expiresAt) - Date.now() + 1100);
    const res = await download(server, gus, link.url).expect(410);
    expect(JSON.parse(res.body.toString()).message).toBe('Link expired: ask for a new one');
    await download(server, gus, (await linkFor(gus, room, file.fileId)).url).expect(200);
  });
});

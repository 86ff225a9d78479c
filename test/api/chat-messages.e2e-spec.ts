import { LIMITS, type MessageEnvelope, messageBounds, type RoomSummary, type SendResult } from '@conclave/contracts';
import { decryptMessage, encryptMessage, generateIdentity, importPublicKeys, textContent } from '@conclave/crypto';
import { FAST_AUTH_ENV } from '../support/accounts.js';
import { sql } from '../support/db.js';
import { createRoom, joinAndAdmit } from '../support/membership.js';
import { type ChatMember, chatMember, enterRoom } from '../support/chat-members.js';
import { ServerProcess } from '../support/server.js';
import { ask, askRaw, CHAT_EVENTS, makeFirstEpoch, next, resultOf } from '../support/sockets.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('encrypted messages (steady rate: 1 message per second per user)', () => {
  let server: ServerProcess;
  let ann: ChatMember;
  let ben: ChatMember;
  let room: RoomSummary;
  let epochKey: CryptoKey;
  const bodies: string[] = [];

  const envelope = (from: ChatMember, body: string, extra: Partial<Parameters<typeof encryptMessage>[0]> = {}) => {
    bodies.push(body);
    return encryptMessage({ roomId: room.id, senderId: from.account.userId, epoch: 1, epochKey, senderSig: from.account.identity.sig.privateKey, content: textContent(body), ...extra });
  };
  const send = (from: ChatMember, e: MessageEnvelope | object) => askRaw<SendResult>(from.socket, CHAT_EVENTS.send, e);

  beforeAll(async () => {
    server = await ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000' } });
    [ann, ben] = [await chatMember(server, 'ann'), await chatMember(server, 'ben')];
    room = await createRoom(server, ann, { name: 'Encrypted', history: 'shared' });
    await joinAndAdmit(server, ben, room, ann);
    await enterRoom(ann, room.code);
    await enterRoom(ben, room.code);
    epochKey = await makeFirstEpoch(ann.socket, room.id, ann.account, [ann.account, ben.account]);
  });

  afterAll(async () => {
    ann?.socket.disconnect();
    ben?.socket.disconnect();
    await server?.stop();
  });

  it('stores a signed ciphertext, acknowledges it with its sequence number, and relays it to the room', async () => {
    const incoming = next(ben.socket, CHAT_EVENTS.message);
    const sent = await envelope(ann, 'hello **ben** 👋');
    // Seq 1 is ben's "joined" line (docs/protocol.md §9a).
    expect(await send(ann, sent)).toEqual({ ok: true, result: { seq: 2, createdAt: expect.any(String), duplicate: false } });
    const received = await incoming;
    expect(received).toMatchObject({ ...sent, senderId: ann.account.userId, seq: 2 });
    // Ben checks the sender's signature with the key directory's copy of ann's key, then decrypts.
    const keys = (await ben.rest.get(`/api/users/${ann.account.userId}/keys`).expect(200)).body.publicKeys;
    const content = await decryptMessage(received, { epochKey, senderSig: (await importPublicKeys(keys)).sig });
    expect(content).toMatchObject({ type: 'text', body: 'hello **ben** 👋' });
  });

  it('stores a resend once (idempotent on clientMsgId)', async () => {
    await sleep(1100);
    const sent = await envelope(ann, 'only once');
    const first = await send(ann, sent);
    await sleep(1100);
    const again = await send(ann, sent);
    expect(first).toMatchObject({ ok: true, result: { duplicate: false } });
    expect(again).toEqual({ ok: true, result: { ...resultOf(first), duplicate: true } });
    const rows = await sql(server, `SELECT seq FROM messages WHERE client_msg_id = $1`, [sent.clientMsgId]);
    expect(rows).toHaveLength(1);
  });

  it('refuses a message whose signature does not verify under the sender’s directory key (bad-signature) and stores nothing', async () => {
    await sleep(1100);
    const forged = await envelope(ben, 'forged in ben’s name', { senderSig: (await generateIdentity()).sig.privateKey });
    expect(await send(ben, forged)).toEqual({ ok: false, error: { code: 'bad-signature', message: expect.stringContaining('not signed with your key'), event: CHAT_EVENTS.send } });
    expect(await sql(server, `SELECT 1 FROM messages WHERE client_msg_id = $1`, [forged.clientMsgId])).toEqual([]);
  });

  it('refuses a replayed message: another member’s envelope re-sent as one’s own, or one moved to another room; a resend of one’s own stays a duplicate', async () => {
    const elsewhere = await createRoom(server, ann, { name: 'Elsewhere', history: 'shared' });
    await joinAndAdmit(server, ben, elsewhere, ann);
    await enterRoom(ann, elsewhere.code);
    await enterRoom(ben, elsewhere.code);
    await makeFirstEpoch(ann.socket, elsewhere.id, ann.account, [ann.account, ben.account]);
    await sleep(1100);
    const incoming = next(ben.socket, CHAT_EVENTS.message);
    const original = await envelope(ann, 'said once, by ann');
    const stored = resultOf(await send(ann, original));
    // Ben re-sends what he received: the server checks it under ben's key, with ben as the sender.
    const { senderId: _sender, seq: _seq, createdAt: _createdAt, ...received } = await incoming;
    expect(await send(ben, received)).toMatchObject({ ok: false, error: { code: 'bad-signature' } });
    await sleep(1100);
    // Ann's own envelope, moved to another room of hers with the same epoch: its signature names the first room.
    expect(await send(ann, { ...original, roomId: elsewhere.id })).toMatchObject({ ok: false, error: { code: 'bad-signature' } });
    await sleep(1100);
    expect(await send(ann, original)).toEqual({ ok: true, result: { ...stored, duplicate: true } });
    expect(await sql(server, `SELECT room_id, sender_id FROM messages WHERE client_msg_id = $1`, [original.clientMsgId])).toEqual([{ room_id: room.id, sender_id: ann.account.userId }]);
    expect(await sql(server, `SELECT seq FROM messages WHERE room_id = $1 AND kind = 'message'`, [elsewhere.id])).toEqual([]);
  });

  it('refuses a message under a stale epoch, telling the client which epoch to use', async () => {
    await sleep(1100);
    const reply = await send(ben, await envelope(ben, 'from the future', { epoch: 2 }));
    expect(reply).toMatchObject({ ok: false, error: { code: 'stale-epoch', currentEpoch: 1 } });
  });

  it('refuses a message under an epoch the sender holds no key box for (a room whose first epoch is not made yet)', async () => {
    await sleep(1100);
    const keyless = (await ann.rest.post('/api/rooms', { name: 'No key yet', history: 'shared' }).expect(201)).body as RoomSummary;
    const { roomId } = await enterRoom(ann, keyless.code);
    const reply = await send(ann, await envelope(ann, 'before any key exists', { roomId }));
    expect(reply).toMatchObject({ ok: false, error: { code: 'no-key', currentEpoch: 1 } });
    expect(await sql(server, `SELECT seq FROM messages WHERE room_id = $1`, [roomId])).toEqual([]);
    expect(await sql(server, `SELECT last_seq FROM rooms WHERE id = $1`, [roomId])).toEqual([{ last_seq: '0' }]);
  });

  it('refuses malformed envelopes with invalid-payload, and stores nothing', async () => {
    const before = await sql<{ n: number }>(server, `SELECT count(*)::int AS n FROM messages`);
    const good = await envelope(ben, 'template');
    const cases: object[] = [
      { ...good, ct: Buffer.alloc(messageBounds(LIMITS.messageBodyCharsMax).ciphertextBytes + 1).toString('base64') }, // past the protocol's highest bound
      { ...good, ct: Buffer.alloc(16).toString('base64') }, // a tag and no ciphertext
      { ...good, iv: 'AAAA' },
      { ...good, sig: undefined },
      { ...good, clientMsgId: 'again' },
      { ...good, epoch: 0 },
      { ...good, extra: 'field' },
    ];
    for (const bad of cases) expect(await send(ben, bad)).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    // One byte past this deployment's bound (MESSAGE_MAX_CHARS, 150 by default): its own code.
    const overLimit = { ...good, ct: Buffer.alloc(LIMITS.messageCiphertextBytes + 1).toString('base64') };
    expect(await send(ben, overLimit)).toMatchObject({ ok: false, error: { code: 'too-long', message: expect.stringContaining('MESSAGE_MAX_CHARS') } });
    const after = await sql<{ n: number }>(server, `SELECT count(*)::int AS n FROM messages`);
    expect(after).toEqual(before);
  });

  it('limits each user to one message per second: the extra one is refused, not stored, with a rate-limit event', async () => {
    await sleep(1100);
    const warned = next(ben.socket, CHAT_EVENTS.rateLimited);
    expect(await send(ben, await envelope(ben, 'first'))).toMatchObject({ ok: true });
    const refusedEnvelope = await envelope(ben, 'second, too soon');
    expect(await send(ben, refusedEnvelope)).toMatchObject({ ok: false, error: { code: 'rate-limited' } });
    expect(await warned).toEqual({ retryAfterMs: 1000, message: 'Rate limit exceeded! Please wait 1 second before sending more messages.' });
    expect(await sql(server, `SELECT 1 FROM messages WHERE client_msg_id = $1`, [refusedEnvelope.clientMsgId])).toEqual([]);
  });

  it('refuses sending, history and resync in a room the socket has not entered', async () => {
    const outsider = await chatMember(server, 'cat');
    for (const [event, payload] of [
      [CHAT_EVENTS.send, await envelope(outsider, 'let me in')],
      [CHAT_EVENTS.history, { roomId: room.id }],
      [CHAT_EVENTS.resync, { roomId: room.id, afterSeq: 0 }],
    ] as const) {
      expect(await ask(outsider.socket, event, payload)).toMatchObject({ ok: false, error: { code: 'not-entered' } });
    }
    outsider.socket.disconnect();
  });

  it('pages history newest first, 50 at a time, and resyncs from a sequence number with no gap and no duplicate', async () => {
    const big = (await ann.rest.post('/api/rooms', { name: 'Busy', history: 'shared' }).expect(201)).body as RoomSummary;
    const template = await envelope(ann, 'filler');
    await sql(
      server,
      `INSERT INTO messages (room_id, seq, sender_id, epoch, client_msg_id, iv, ct, sig)
       SELECT $1, s, $2, 1, gen_random_uuid(), $3, $4, $5 FROM generate_series(1, 120) AS s`,
      [big.id, ann.account.userId, template.iv, template.ct, template.sig],
    );
    await sql(server, `UPDATE rooms SET last_seq = 120 WHERE id = $1`, [big.id]);
    await enterRoom(ann, big.code);
    const page = async (before?: number) => resultOf(await ask(ann.socket, CHAT_EVENTS.history, { roomId: big.id, before }));
    const first = await page();
    expect(first.messages.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 120 - i));
    expect(first.more).toBe(true);
    const second = await page(71);
    expect(second.messages.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 70 - i));
    const third = await page(21);
    expect(third.messages.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 20 - i));
    expect(third.more).toBe(false);

    const resync = await ask(ann.socket, CHAT_EVENTS.resync, { roomId: big.id, afterSeq: 100 });
    expect(resultOf(resync).messages.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 101 + i));
  });

  it('keeps the unread count from the read marker', async () => {
    const reply = await ask(ben.socket, CHAT_EVENTS.read, { roomId: room.id, seq: 1 });
    expect(reply).toEqual({ ok: true, result: { seq: 1 } });
    const mine = (await ben.rest.get('/api/rooms').expect(200)).body as RoomSummary[];
    // Messages of others after the marker: not ben's own, not membership lines.
    const [{ n }] = await sql<{ n: number }>(server, `SELECT count(*)::int AS n FROM messages WHERE room_id = $1 AND seq > 1 AND kind = 'message' AND sender_id <> $2`, [room.id, ben.account.userId]);
    expect(n).toBeGreaterThan(0);
    expect(mine.find((r) => r.id === room.id)!.unread).toBe(n);
  });

  it('shows a joiner of a "joined" room only what was sent after they joined', async () => {
    const late = await createRoom(server, ann, { name: 'From now on', history: 'joined' });
    await enterRoom(ann, late.code);
    const lateKey = await makeFirstEpoch(ann.socket, late.id, ann.account, [ann.account]);
    await sleep(1100);
    expect(await send(ann, await envelope(ann, 'before dan', { roomId: late.id, epochKey: lateKey }))).toMatchObject({ ok: true });
    const dan = await chatMember(server, 'dan');
    await joinAndAdmit(server, dan, late, ann);
    await enterRoom(dan, late.code);
    await sleep(1100);
    expect(await send(ann, await envelope(ann, 'after dan', { roomId: late.id, epochKey: lateKey }))).toMatchObject({ ok: true, result: { seq: 3 } });
    const history = resultOf(await ask(dan.socket, CHAT_EVENTS.history, { roomId: late.id }));
    expect(history.messages.map((m) => m.seq)).toEqual([3]);
    // Dan's own "joined" line comes after what he may not read, so he sees it.
    expect(history.notices).toEqual([{ roomId: late.id, seq: 2, kind: 'joined', userId: dan.account.userId, createdAt: expect.any(String) }]);
    dan.socket.disconnect();
  });

  it('keeps no plaintext on the server', async () => {
    const dump = JSON.stringify(await sql(server, `SELECT * FROM messages`)) + JSON.stringify(await sql(server, `SELECT * FROM audit_log`));
    expect(dump).toContain(room.id);
    for (const body of bodies) expect(dump).not.toContain(body);
  });
});

describe('many senders at once (the store writes in batches)', () => {
  it('gives every acknowledged message its own seq, with no gap, and stores a doubled clientMsgId once', async () => {
    const server = await ServerProcess.start({ env: { ...FAST_AUTH_ENV, CHAT_RATE_LIMIT: 'burst', REGISTER_LIMIT_PER_HOUR: '1000' } });
    try {
      const members = [];
      for (const name of ['kim', 'lou', 'max', 'ned']) members.push(await chatMember(server, name));
      const [owner] = members as [ChatMember];
      const room = await createRoom(server, owner, { name: 'Crowd', history: 'shared' });
      for (const m of members.slice(1)) await joinAndAdmit(server, m, room, owner);
      for (const m of members) await enterRoom(m, room.code);
      const epochKey = await makeFirstEpoch(owner.socket, room.id, owner.account, members.map((m) => m.account));
      // The joiners' "joined" lines come first (docs/protocol.md §9a).
      const base = members.length - 1;
      const seal = (m: ChatMember, i: number) =>
        encryptMessage({ roomId: room.id, senderId: m.account.userId, epoch: 1, epochKey, senderSig: m.account.identity.sig.privateKey, content: textContent(`crowd ${i}`) });
      const envelopes = await Promise.all(members.flatMap((m) => [1, 2, 3, 4].map(async (i) => ({ m, e: await seal(m, i) }))));
      // Not the first one: that is written alone while the rest queue, so the copies share a batch.
      const doubled = envelopes[5]!;
      const replies = await Promise.all([...envelopes, doubled].map(({ m, e }) => ask(m.socket, CHAT_EVENTS.send, e)));
      expect(replies.every((r) => r.ok)).toBe(true);
      const results = replies.map(resultOf);
      // The doubled envelope: one stored row, both replies carry its seq, one of them says duplicate.
      expect(results[5]!.seq).toBe(results.at(-1)!.seq);
      expect([results[5]!.duplicate, results.at(-1)!.duplicate].sort()).toEqual([false, true]);
      const seqs = results.slice(0, -1).map((r) => r.seq).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: envelopes.length }, (_, i) => base + i + 1));
      const rows = await sql<{ seq: string; client_msg_id: string }>(server, `SELECT seq, client_msg_id FROM messages WHERE room_id = $1 AND kind = 'message' ORDER BY seq`, [room.id]);
      expect(rows.map((r) => [Number(r.seq), r.client_msg_id])).toEqual(
        envelopes.map(({ e }, i) => [results[i]!.seq, e.clientMsgId]).sort((a, b) => (a[0] as number) - (b[0] as number)),
      );
      expect(await sql(server, `SELECT last_seq FROM rooms WHERE id = $1`, [room.id])).toEqual([{ last_seq: String(base + envelopes.length) }]);
      for (const m of members) m.socket.disconnect();
    } finally {
      await server.stop();
    }
  });
});

describe('the "burst" rate profile (5 messages per 10 seconds, then muted 10 seconds)', () => {
  it('refuses the sixth message with the seed’s warning', async () => {
    const server = await ServerProcess.start({ env: { ...FAST_AUTH_ENV, CHAT_RATE_LIMIT: 'burst' } });
    try {
      const eve = await chatMember(server, 'eve');
      const room = await createRoom(server, eve, { name: 'Burst', history: 'shared' });
      await enterRoom(eve, room.code);
      const epochKey = await makeFirstEpoch(eve.socket, room.id, eve.account, [eve.account]);
      const sendOne = async (i: number) =>
        ask(
          eve.socket,
          CHAT_EVENTS.send,
          await encryptMessage({ roomId: room.id, senderId: eve.account.userId, epoch: 1, epochKey, senderSig: eve.account.identity.sig.privateKey, content: textContent(`burst ${i}`) }),
        );
      for (let i = 1; i <= 5; i++) expect(await sendOne(i)).toMatchObject({ ok: true, result: { seq: i } });
      const warned = next(eve.socket, CHAT_EVENTS.rateLimited);
      expect(await sendOne(6)).toMatchObject({ ok: false, error: { code: 'rate-limited', message: 'Rate limit exceeded! Please wait 10 seconds before sending more messages.' } });
      expect(await warned).toEqual({ retryAfterMs: 10_000, message: 'Rate limit exceeded! Please wait 10 seconds before sending more messages.' });
      eve.socket.disconnect();
    } finally {
      await server.stop();
    }
  });
});

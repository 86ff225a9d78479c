import { type Ack, CLIENT_CONFIG_PATH, LIMITS, type MessageContent, messageBounds, type RoomNotice, type RoomSummary, type SendResult, type StoredMessage } from '@conclave/contracts';
import { decryptMessage, editContent, encryptMessage, importPublicKeys, textContent } from '@conclave/crypto';
import request from 'supertest';
import type { Socket } from 'socket.io-client';
import { FAST_AUTH_ENV } from '../support/accounts.js';
import { sql } from '../support/db.js';
import { createRoom, joinAndAdmit } from '../support/membership.js';
import { type ChatMember, chatMember, enterRoom } from '../support/chat-members.js';
import { ServerProcess } from '../support/server.js';
import { ask, askRaw, CHAT_EVENTS, makeFirstEpoch, next, resultOf } from '../support/sockets.js';

/**
 * The room's log beyond messages (docs/protocol.md §9a–§9c): membership lines, edits and deletions
 * with seqs of their own, live and in history and resync; and the deployment's message limit.
 */

/** Sends, waiting out the burst limit (5 in 10 s): these tests are about the log, not the limiter. */
async function askPaced<T>(socket: Socket, event: string, payload: unknown): Promise<Ack<T>> {
  for (;;) {
    const reply = await askRaw<T>(socket, event, payload);
    if (reply?.ok !== false || reply.error.code !== 'rate-limited') return reply;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

describe('the room log: membership lines, edits, deletions', () => {
  let server: ServerProcess;
  let ann: ChatMember;
  let ben: ChatMember;
  let room: RoomSummary;
  let epochKey: CryptoKey;
  const secrets: string[] = [];

  const seal = (from: ChatMember, content: MessageContent) =>
    encryptMessage({ roomId: room.id, senderId: from.account.userId, epoch: 1, epochKey, senderSig: from.account.identity.sig.privateKey, content });
  const sendText = async (from: ChatMember, body: string) => {
    secrets.push(body);
    return askPaced<SendResult>(from.socket, CHAT_EVENTS.send, await seal(from, textContent(body)));
  };
  const sendEdit = async (from: ChatMember, editOf: number, body: string, routedTo = editOf) => {
    secrets.push(body);
    return askPaced<SendResult>(from.socket, CHAT_EVENTS.send, { ...(await seal(from, editContent(editOf, body))), editOf: routedTo });
  };
  const remove = (from: ChatMember, seq: number) => askPaced<{ seq: number }>(from.socket, CHAT_EVENTS.deleteMessage, { roomId: room.id, seq });
  const readAs = async (m: ChatMember, message: StoredMessage) => {
    const keys = (await m.rest.get(`/api/users/${message.senderId}/keys`).expect(200)).body.publicKeys;
    return decryptMessage(message, { epochKey, senderSig: (await importPublicKeys(keys)).sig });
  };

  beforeAll(async () => {
    // Burst: a few messages in a row without waiting out the steady limit.
    server = await ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', CHAT_RATE_LIMIT: 'burst' } });
    ann = await chatMember(server, 'ann');
    ben = await chatMember(server, 'ben');
    room = await createRoom(server, ann, { name: 'Log', history: 'shared' });
    await enterRoom(ann, room.code);
    const joined = next(ann.socket, CHAT_EVENTS.notice);
    await joinAndAdmit(server, ben, room, ann);
    expect(await joined).toEqual({ roomId: room.id, seq: 1, kind: 'joined', userId: ben.account.userId, createdAt: expect.any(String) });
    await enterRoom(ben, room.code);
    epochKey = await makeFirstEpoch(ann.socket, room.id, ann.account, [ann.account, ben.account]);
  });

  afterAll(async () => {
    ann?.socket.disconnect();
    ben?.socket.disconnect();
    await server?.stop();
  });

  it('writes no line for the owner creating the room, and one for each joiner, in history', async () => {
    const page = resultOf(await ask(ben.socket, CHAT_EVENTS.history, { roomId: room.id }));
    expect(page).toEqual({ messages: [], notices: [expect.objectContaining({ seq: 1, kind: 'joined', userId: ben.account.userId })], more: false });
  });

  it('stores an edit as a new message naming its original, relays it, and the receiver reads the edit inside', async () => {
    const original = resultOf(await sendText(ann, 'lunch at noon?'));
    const relayed = next(ben.socket, CHAT_EVENTS.message, undefined, 20_000);
    const edit = resultOf(await sendEdit(ann, original.seq, 'lunch at one?'));
    expect(edit.seq).toBe(original.seq + 1);
    const received = await relayed;
    expect(received).toMatchObject({ seq: edit.seq, editOf: original.seq, senderId: ann.account.userId });
    expect(await readAs(ben, received)).toEqual({ type: 'edit', editOf: original.seq, body: 'lunch at one?', sentAt: expect.any(Number) });
    const page = resultOf(await ask(ben.socket, CHAT_EVENTS.history, { roomId: room.id }));
    expect(page.messages.map((m) => [m.seq, m.editOf])).toEqual([
      [edit.seq, original.seq],
      [original.seq, undefined],
    ]);
  });

  it('refuses edits of what is not the sender’s own editable text message, and stores nothing', async () => {
    const [{ n: before }] = await sql<{ n: number }>(server, `SELECT count(*)::int AS n FROM messages`);
    const annText = resultOf(await sendText(ann, 'ann says'));
    const annEdit = resultOf(await sendEdit(ann, annText.seq, 'ann says again'));
    const refusals = [
      await sendEdit(ben, annText.seq, 'ben rewrites ann'), // another's message
      await sendEdit(ann, annEdit.seq, 'an edit of an edit'), // an edit itself
      await sendEdit(ann, 999_999, 'nothing there'), // no such message
      await sendEdit(ann, 1, 'a membership line'), // not a message
    ];
    for (const reply of refusals) expect(reply).toMatchObject({ ok: false, error: { code: 'not-editable', event: CHAT_EVENTS.send } });
    const withFile = { ...(await seal(ann, editContent(annText.seq, 'with a file'))), editOf: annText.seq, fileId: '0b0b0b0b-0b0b-4b0b-8b0b-0b0b0b0b0b0b' };
    expect(await askPaced(ann.socket, CHAT_EVENTS.send, withFile)).toMatchObject({ ok: false, error: { code: 'not-editable' } });
    expect(await askPaced(ann.socket, CHAT_EVENTS.send, { ...(await seal(ann, textContent('x'))), editOf: 0 })).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    const [{ n: after }] = await sql<{ n: number }>(server, `SELECT count(*)::int AS n FROM messages`);
    expect(after).toBe(before + 2);
  });

  it('deletes a message with its edits: the ciphertext is gone, a deletion entry tells the room, history and resync show the marker', async () => {
    const original = resultOf(await sendText(ann, 'a secret I regret'));
    const edit = resultOf(await sendEdit(ann, original.seq, 'a secret I regret, edited'));
    const told = next(ben.socket, CHAT_EVENTS.notice, (n: RoomNotice) => n.kind === 'deletion', 20_000);
    const deletion = resultOf(await remove(ann, original.seq));
    expect(deletion).toEqual({ seq: edit.seq + 1, createdAt: expect.any(String) });
    expect(await told).toEqual({ roomId: room.id, seq: deletion.seq, kind: 'deletion', target: original.seq, userId: ann.account.userId, createdAt: expect.any(String) });
    const rows = await sql(server, `SELECT seq, kind, iv, ct, sig, deleted_at IS NOT NULL AS deleted FROM messages WHERE room_id = $1 AND seq IN ($2, $3) ORDER BY seq`, [room.id, original.seq, edit.seq]);
    expect(rows).toEqual([
      { seq: String(original.seq), kind: 'message', iv: null, ct: null, sig: null, deleted: true },
      { seq: String(edit.seq), kind: 'message', iv: null, ct: null, sig: null, deleted: true },
    ]);
    const page = resultOf(await ask(ben.socket, CHAT_EVENTS.history, { roomId: room.id }));
    expect(page.messages.map((m) => m.seq)).not.toContain(original.seq);
    expect(page.notices.filter((n) => n.seq >= original.seq)).toEqual([
      expect.objectContaining({ seq: deletion.seq, kind: 'deletion', target: original.seq }),
      expect.objectContaining({ seq: edit.seq, kind: 'deleted', editOf: original.seq }),
      expect.objectContaining({ seq: original.seq, kind: 'deleted', userId: ann.account.userId }),
    ]);
    // A client that saw the message before learns of the deletion on resync.
    const resync = resultOf(await ask(ben.socket, CHAT_EVENTS.resync, { roomId: room.id, afterSeq: edit.seq }));
    expect(resync).toEqual({ messages: [], notices: [expect.objectContaining({ seq: deletion.seq, kind: 'deletion', target: original.seq })], more: false });
  });

  it('refuses to delete another’s message, an edit, a membership line, or a message twice, and changes nothing', async () => {
    const mine = resultOf(await sendText(ann, 'ann keeps this'));
    const edit = resultOf(await sendEdit(ann, mine.seq, 'ann keeps this, edited'));
    const [{ last_seq: before }] = await sql<{ last_seq: string }>(server, `SELECT last_seq FROM rooms WHERE id = $1`, [room.id]);
    for (const [who, seq] of [[ben, mine.seq], [ann, edit.seq], [ann, 1], [ann, 999_999]] as const) {
      expect(await remove(who, seq)).toMatchObject({ ok: false, error: { code: 'not-editable', event: CHAT_EVENTS.deleteMessage } });
    }
    expect(await askPaced(ann.socket, CHAT_EVENTS.deleteMessage, { roomId: room.id, seq: 'one' })).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    const [{ last_seq: after }] = await sql<{ last_seq: string }>(server, `SELECT last_seq FROM rooms WHERE id = $1`, [room.id]);
    expect(after).toBe(before);
    expect(await sql(server, `SELECT ct IS NOT NULL AS kept FROM messages WHERE room_id = $1 AND seq = $2`, [room.id, mine.seq])).toEqual([{ kept: true }]);
    resultOf(await remove(ann, mine.seq));
    expect(await remove(ann, mine.seq)).toMatchObject({ ok: false, error: { code: 'not-editable' } });
  });

  it('refuses deleting in a room the socket has not entered', async () => {
    const other = await createRoom(server, ben, { name: 'Elsewhere', history: 'shared' });
    expect(await askRaw(ben.socket, CHAT_EVENTS.deleteMessage, { roomId: other.id, seq: 1 })).toMatchObject({ ok: false, error: { code: 'not-entered' } });
  });

  it('writes "left" and "removed" lines that the remaining members receive', async () => {
    const cy = await chatMember(server, 'cyd');
    const dee = await chatMember(server, 'dee');
    await joinAndAdmit(server, cy, room, ann);
    await joinAndAdmit(server, dee, room, ann);
    const left = next(ann.socket, CHAT_EVENTS.notice, (n: RoomNotice) => n.kind === 'left');
    await cy.rest.post(`/api/rooms/${room.code}/leave`, {}).expect((res) => expect(res.status).toBeLessThan(300));
    expect(await left).toMatchObject({ kind: 'left', userId: cy.account.userId });
    const removed = next(ann.socket, CHAT_EVENTS.notice, (n: RoomNotice) => n.kind === 'removed');
    await ann.rest.post(`/api/rooms/${room.code}/members/${dee.account.userId}/remove`, {}).expect((res) => expect(res.status).toBeLessThan(300));
    expect(await removed).toMatchObject({ kind: 'removed', userId: dee.account.userId });
    const kinds = await sql<{ kind: string; sender_id: string }>(server, `SELECT kind, sender_id FROM messages WHERE room_id = $1 AND kind NOT IN ('message', 'deletion') ORDER BY seq`, [room.id]);
    expect(kinds).toEqual([
      { kind: 'joined', sender_id: ben.account.userId },
      { kind: 'joined', sender_id: cy.account.userId },
      { kind: 'joined', sender_id: dee.account.userId },
      { kind: 'left', sender_id: cy.account.userId },
      { kind: 'removed', sender_id: dee.account.userId },
    ]);
    cy.socket.disconnect();
    dee.socket.disconnect();
  });

  it('counts only others’ messages as unread, not lines, edits or deletions', async () => {
    const rooms = (await ben.rest.get('/api/rooms').expect(200)).body as RoomSummary[];
    const [{ n }] = await sql<{ n: number }>(
      server,
      `SELECT count(*)::int AS n FROM messages m JOIN room_members r ON r.room_id = m.room_id AND r.user_id = $2
        WHERE m.room_id = $1 AND m.seq > r.last_read_seq AND m.kind = 'message' AND m.edit_of IS NULL AND m.deleted_at IS NULL AND m.sender_id <> $2`,
      [room.id, ben.account.userId],
    );
    expect(n).toBeGreaterThan(0);
    expect(rooms.find((r) => r.id === room.id)!.unread).toBe(n);
  });

  it('keeps no plaintext of messages, edits or deleted messages on the server', async () => {
    const dump = JSON.stringify(await sql(server, `SELECT * FROM messages`)) + JSON.stringify(await sql(server, `SELECT * FROM audit_log`));
    expect(dump).toContain(room.id);
    for (const secret of secrets) expect(dump).not.toContain(secret);
  });
});

describe('the message limit is a deployment setting (MESSAGE_MAX_CHARS)', () => {
  let server: ServerProcess;

  afterAll(async () => {
    await server?.stop();
  });

  it('is served to clients, and bounds the ciphertext the server accepts by its own worst case', async () => {
    const chars = LIMITS.messageBodyCharsMax;
    server = await ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', MESSAGE_MAX_CHARS: String(chars) } });
    expect((await request(server.origin).get(CLIENT_CONFIG_PATH).ca(server.certificate).expect(200)).body).toEqual({ messageChars: chars });
    const eve = await chatMember(server, 'eve');
    const room = await createRoom(server, eve, { name: 'Long form', history: 'shared' });
    await enterRoom(eve, room.code);
    const epochKey = await makeFirstEpoch(eve.socket, room.id, eve.account, [eve.account]);
    // The worst case of the highest limit: every character escaped in the JSON plaintext.
    const longest = await encryptMessage({
      roomId: room.id,
      senderId: eve.account.userId,
      epoch: 1,
      epochKey,
      senderSig: eve.account.identity.sig.privateKey,
      content: textContent('\u0000'.repeat(chars)),
      maxChars: chars,
    });
    expect(Buffer.from(longest.ct, 'base64').length).toBeGreaterThan(LIMITS.messageCiphertextBytes);
    expect(await askRaw(eve.socket, CHAT_EVENTS.send, longest)).toMatchObject({ ok: true });
    const over = { ...longest, clientMsgId: globalThis.crypto.randomUUID(), ct: Buffer.alloc(messageBounds(chars).ciphertextBytes + 1).toString('base64') };
    expect(await askRaw(eve.socket, CHAT_EVENTS.send, over)).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    eve.socket.disconnect();
  });

  it('is 150 characters by default', async () => {
    const plain = await ServerProcess.start({ env: FAST_AUTH_ENV });
    try {
      expect((await request(plain.origin).get(CLIENT_CONFIG_PATH).ca(plain.certificate).expect(200)).body).toEqual({ messageChars: 150 });
    } finally {
      await plain.stop();
    }
  });
});

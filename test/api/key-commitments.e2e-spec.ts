import type { EpochAnnouncement, KeyBox, KeyMaterial, RoomSummary } from '@conclave/contracts';
import {
  announceEpoch,
  decryptMessage,
  encryptMessage,
  epochCommitment,
  generateEpochKey,
  importPublicKeys,
  keyMatchesCommitment,
  openKeyBox,
  sealKeyBox,
  textContent,
  verifyEpochAnnouncement,
} from '@conclave/crypto';
import pg from 'pg';
import type { Socket } from 'socket.io-client';
import { KeyCommitments1764400000000 } from '../../apps/api/dist/database/migrations/1764400000000-key-commitments.js';
import { type Account, type Client, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { sql } from '../support/db.js';
import { createRoom, joinAndAdmit } from '../support/membership.js';
import { ServerProcess } from '../support/server.js';
import { ask, askRaw, CHAT_EVENTS, connect, connected, next, resultOf, sessionCookie } from '../support/sockets.js';

/**
 * Key commitments and boxes per sharer (docs/protocol.md §8): issue 11's third attack
 * replayed. A hostile member can sign a box holding a key of its choosing, or make an epoch with
 * different keys for different people; the announcement's commitment lets the recipient's client
 * see it, and keeping one box per sharer lets another member's good box reach them anyway.
 */

interface Person {
  account: Account;
  rest: Client;
  socket?: Socket;
}

let server: ServerProcess;
let room: RoomSummary;
const people: Record<'ann' | 'mal' | 'ben' | 'cat', Person> = {} as never;
const held: Record<string, Map<number, CryptoKey>> = { ann: new Map(), mal: new Map() };

async function online(person: Person): Promise<Socket> {
  person.socket?.disconnect();
  const socket = connect(server, await sessionCookie(server, person.account));
  await connected(socket);
  person.socket = socket;
  return socket;
}

const directoryKeys = async (userId: string): Promise<Account['publicKeys']> => (await people.ann.rest.get(`/api/users/${userId}/keys`).expect(200)).body.publicKeys;

const seal = async (from: Person, to: Person, epoch: number, epochKey: CryptoKey): Promise<KeyBox> =>
  sealKeyBox({
    roomId: room.id,
    epoch,
    epochKey,
    recipientId: to.account.userId,
    recipientEnc: (await importPublicKeys(to.account.publicKeys)).enc,
    sharerId: from.account.userId,
    sharerSig: from.account.identity.sig.privateKey,
  });

const announce = (maker: Person, epoch: number, epochKey: CryptoKey): Promise<EpochAnnouncement> =>
  announceEpoch({ roomId: room.id, epoch, makerId: maker.account.userId, epochKey, makerSig: maker.account.identity.sig.privateKey });

const material = async (person: Person): Promise<KeyMaterial> => resultOf(await ask(person.socket!, CHAT_EVENTS.keyBoxes, { roomId: room.id }));

/**
 * What a member's client does with its key material: for each epoch, the first box (of any sharer)
 * whose signature verifies and whose key matches the epoch's announcement, itself verified under
 * its maker's directory key. Epochs with boxes but none usable are returned to be asked for again.
 */
async function acceptKeys(person: Person): Promise<{ keys: Map<number, { key: CryptoKey; sharerId: string }>; unusable: number[] }> {
  const { boxes, epochs } = await material(person);
  const keys = new Map<number, { key: CryptoKey; sharerId: string }>();
  for (const box of boxes) {
    if (keys.has(box.epoch)) continue;
    try {
      const key = await openKeyBox(box, { recipientId: person.account.userId, recipientEnc: person.account.identity.enc.privateKey, sharerSig: (await importPublicKeys(await directoryKeys(box.sharerId))).sig });
      const announcement = epochs.find((a) => a.epoch === box.epoch)!;
      await verifyEpochAnnouncement(announcement, await directoryKeys(announcement.makerId));
      if (await keyMatchesCommitment(key, announcement)) keys.set(box.epoch, { key, sharerId: box.sharerId });
    } catch {
      // A box that does not verify is never used.
    }
  }
  const unusable = [...new Set(boxes.map((b) => b.epoch))].filter((e) => !keys.has(e));
  return { keys, unusable };
}

const boxRows = (recipient: Person, epoch: number) =>
  sql<{ sharer_id: string; wrapped: string }>(server, `SELECT sharer_id, wrapped FROM key_boxes WHERE room_id = $1 AND recipient_id = $2 AND epoch = $3 ORDER BY created_at`, [
    room.id,
    recipient.account.userId,
    epoch,
  ]);

const counts = async () =>
  (
    await sql<{ boxes: number; epochs: number; current: number }>(
      server,
      `SELECT (SELECT count(*) FROM key_boxes WHERE room_id = $1)::int AS boxes, (SELECT count(*) FROM room_epochs WHERE room_id = $1)::int AS epochs,
              (SELECT current_epoch FROM rooms WHERE id = $1) AS current`,
      [room.id],
    )
  )[0]!;

beforeAll(async () => {
  server = await ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000' } });
  for (const name of ['ann', 'mal', 'ben', 'cat'] as const) {
    const account = await newAccount(name);
    people[name] = { account, rest: await registeredClient(server, account) };
  }
  room = await createRoom(server, people.ann, { name: 'Commitments', history: 'shared' });
  await joinAndAdmit(server, people.mal, room, people.ann);
  await online(people.ann);
  await online(people.mal);
  const epochKey = await generateEpochKey();
  const boxes = [await seal(people.ann, people.ann, 1, epochKey), await seal(people.ann, people.mal, 1, epochKey)];
  expect(await ask(people.ann.socket!, CHAT_EVENTS.newEpoch, { roomId: room.id, epoch: 1, boxes, announcement: await announce(people.ann, 1, epochKey) })).toEqual({ ok: true, result: { epoch: 1 } });
  held.ann!.set(1, epochKey);
  held.mal!.set(1, epochKey);
});

afterAll(async () => {
  for (const person of Object.values(people)) person.socket?.disconnect();
  await server?.stop();
});

describe('key commitments and boxes per sharer (issue 11, attack 3)', () => {
  it('serves every epoch with its maker’s announcement', async () => {
    const { boxes, epochs } = await material(people.mal);
    expect(boxes).toMatchObject([{ epoch: 1, sharerId: people.ann.account.userId, recipientId: people.mal.account.userId }]);
    expect(epochs).toEqual([{ roomId: room.id, epoch: 1, makerId: people.ann.account.userId, commit: await epochCommitment(held.ann!.get(1)!, room.id, 1), sig: expect.any(String) }]);
  });

  it('a hostile member’s validly signed wrong-key box, shared before the joiner asks, does not hide the right box from another member', async () => {
    const { ann, mal, ben } = people;
    await joinAndAdmit(server, ben, room, people.ann);
    await online(ben);
    // mal is first: a box it signed, holding a key of its own choosing, for ben.
    expect(await ask(mal.socket!, CHAT_EVENTS.keyShare, { roomId: room.id, boxes: [await seal(mal, ben, 1, await generateEpochKey())] })).toEqual({ ok: true, result: { stored: 1 } });

    // ben holds a box for every epoch, so a plain request waits for nothing...
    expect(await ask(ben.socket!, CHAT_EVENTS.keyRequest, { roomId: room.id })).toEqual({ ok: true, result: { waiting: false, epochs: [] } });
    // ...but his client sees that the key is not the one epoch 1 announced.
    const first = await acceptKeys(ben);
    expect(first).toEqual({ keys: new Map(), unusable: [1] });

    // He asks again for epoch 1 while ann is offline: the request waits although a box exists, and reaches ann when she connects.
    ann.socket!.disconnect();
    expect(await ask(ben.socket!, CHAT_EVENTS.keyRequest, { roomId: room.id, epochs: first.unusable })).toEqual({ ok: true, result: { waiting: true, epochs: [1] } });
    const socket = connect(server, await sessionCookie(server, ann.account));
    const requested = next(socket, CHAT_EVENTS.keyRequested, (r) => r.requesterId === ben.account.userId);
    await connected(socket);
    ann.socket = socket;
    expect(await requested).toEqual({ roomId: room.id, code: room.code, requesterId: ben.account.userId, publicKeys: ben.account.publicKeys, epochs: [1] });

    const available = next(ben.socket!, CHAT_EVENTS.keyAvailable);
    expect(await ask(ann.socket!, CHAT_EVENTS.keyShare, { roomId: room.id, boxes: [await seal(ann, ben, 1, held.ann!.get(1)!)] })).toEqual({ ok: true, result: { stored: 1 } });
    expect(await available).toEqual({ roomId: room.id, code: room.code, epochs: [1] });
    // Both boxes are kept; ben's client rejects mal's by the commitment and opens ann's.
    expect((await boxRows(ben, 1)).map((r) => r.sharer_id)).toEqual([mal.account.userId, ann.account.userId]);
    const second = await acceptKeys(ben);
    expect(second.unusable).toEqual([]);
    expect(second.keys.get(1)?.sharerId).toBe(ann.account.userId);
    expect(await sql(server, `SELECT 1 FROM key_requests WHERE room_id = $1 AND user_id = $2`, [room.id, ben.account.userId])).toEqual([]);

    // The key is the room's: ben reads what ann writes under epoch 1.
    await ask(ann.socket!, CHAT_EVENTS.enter, { code: room.code });
    await ask(ben.socket!, CHAT_EVENTS.enter, { code: room.code });
    const incoming = next(ben.socket!, CHAT_EVENTS.message);
    const envelope = await encryptMessage({ roomId: room.id, senderId: ann.account.userId, epoch: 1, epochKey: held.ann!.get(1)!, senderSig: ann.account.identity.sig.privateKey, content: textContent('hello ben') });
    expect(await ask(ann.socket!, CHAT_EVENTS.send, envelope)).toMatchObject({ ok: true });
    expect(await decryptMessage(await incoming, { epochKey: second.keys.get(1)!.key, senderSig: (await importPublicKeys(ann.account.publicKeys)).sig })).toMatchObject({ body: 'hello ben' });
    held.ben = new Map([[1, second.keys.get(1)!.key]]);

    // mal sharing again replaces only its own box: ann's stays.
    expect(await ask(mal.socket!, CHAT_EVENTS.keyShare, { roomId: room.id, boxes: [await seal(mal, ben, 1, await generateEpochKey())] })).toEqual({ ok: true, result: { stored: 1 } });
    expect((await boxRows(ben, 1)).map((r) => r.sharer_id).sort()).toEqual([mal.account.userId, ann.account.userId].sort());
    expect((await acceptKeys(ben)).keys.get(1)?.sharerId).toBe(ann.account.userId);
  });

  it('detects a split epoch (one maker, different keys for different members) by the commitment, and the member left out gets the announced key from another member', async () => {
    const { ann, mal, ben } = people;
    const announced = await generateEpochKey();
    const other = await generateEpochKey();
    // mal makes epoch 2, committing to `announced`, but gives ben a different key.
    const boxes = [await seal(mal, ann, 2, announced), await seal(mal, mal, 2, announced), await seal(mal, ben, 2, other)];
    const annHears = next(ann.socket!, CHAT_EVENTS.epoch);
    expect(await ask(mal.socket!, CHAT_EVENTS.newEpoch, { roomId: room.id, epoch: 2, boxes, announcement: await announce(mal, 2, announced) })).toEqual({ ok: true, result: { epoch: 2 } });
    await annHears;

    const annKeys = await acceptKeys(ann);
    expect(annKeys.unusable).toEqual([]);
    held.ann!.set(2, annKeys.keys.get(2)!.key);
    const benKeys = await acceptKeys(ben);
    expect(benKeys.unusable).toEqual([2]);
    expect(benKeys.keys.has(2)).toBe(false);

    const requested = next(ann.socket!, CHAT_EVENTS.keyRequested, (r) => r.requesterId === ben.account.userId);
    expect(await ask(ben.socket!, CHAT_EVENTS.keyRequest, { roomId: room.id, epochs: [2] })).toEqual({ ok: true, result: { waiting: true, epochs: [2] } });
    expect((await requested).epochs).toEqual([2]);
    expect(await ask(ann.socket!, CHAT_EVENTS.keyShare, { roomId: room.id, boxes: [await seal(ann, ben, 2, held.ann!.get(2)!)] })).toEqual({ ok: true, result: { stored: 1 } });
    const fixed = await acceptKeys(ben);
    expect(fixed.unusable).toEqual([]);
    expect(fixed.keys.get(2)?.sharerId).toBe(ann.account.userId);
    expect(await keyMatchesCommitment(fixed.keys.get(2)!.key, (await material(ben)).epochs.find((a) => a.epoch === 2)!)).toBe(true);
    held.ben!.set(2, fixed.keys.get(2)!.key);
  });

  it('acknowledges key:share with what it stored: a sharer’s second box replaces its first, a refused request stores nothing', async () => {
    const { ann, ben, cat } = people;
    await joinAndAdmit(server, cat, room, people.ann);
    await online(cat);
    const first = await seal(ann, cat, 1, held.ann!.get(1)!);
    const again = await seal(ann, cat, 1, held.ann!.get(1)!);
    expect(await ask(ann.socket!, CHAT_EVENTS.keyShare, { roomId: room.id, boxes: [first] })).toEqual({ ok: true, result: { stored: 1 } });
    expect(await ask(ann.socket!, CHAT_EVENTS.keyShare, { roomId: room.id, boxes: [again] })).toEqual({ ok: true, result: { stored: 1 } });
    expect(await boxRows(cat, 1)).toEqual([{ sharer_id: ann.account.userId, wrapped: again.wrapped }]);

    const before = await counts();
    const good = await seal(ann, cat, 2, held.ann!.get(2)!);
    const tampered = { ...(await seal(ann, ben, 2, held.ann!.get(2)!)), wrapped: first.wrapped };
    expect(await ask(ann.socket!, CHAT_EVENTS.keyShare, { roomId: room.id, boxes: [good, tampered] })).toMatchObject({ ok: false, error: { code: 'bad-signature' } });
    expect(await ask(ann.socket!, CHAT_EVENTS.keyShare, { roomId: room.id, boxes: [good, await seal(ann, cat, 2, held.ann!.get(2)!)] })).toMatchObject({
      ok: false,
      error: { code: 'invalid-payload', message: 'At most one box per recipient and epoch' },
    });
    // ben holds no key for epoch 3: a box for it is not his to share.
    expect(await ask(ben.socket!, CHAT_EVENTS.keyShare, { roomId: room.id, boxes: [await seal(ben, cat, 3, held.ben!.get(2)!)] })).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    expect(await counts()).toEqual(before);
    expect(await boxRows(cat, 2)).toEqual([]);

    expect(await ask(ann.socket!, CHAT_EVENTS.keyShare, { roomId: room.id, boxes: [good] })).toEqual({ ok: true, result: { stored: 1 } });
    expect(await counts()).toEqual({ ...before, boxes: before.boxes + 1 });
  });

  it('refuses a new epoch whose announcement is missing, badly signed, commits to another key, or names another epoch, room or maker, and stores nothing', async () => {
    const { ann, mal, ben, cat } = people;
    const epochKey = await generateEpochKey();
    const boxes = await Promise.all([ann, mal, ben, cat].map((to) => seal(ann, to, 3, epochKey)));
    const good = await announce(ann, 3, epochKey);
    const before = await counts();
    const refusals: Array<[string, unknown, string]> = [
      ['missing', undefined, 'invalid-payload'],
      ['signed by another member', { ...(await announce(mal, 3, epochKey)), makerId: ann.account.userId }, 'bad-signature'],
      ['a commit for another key', { ...good, commit: await epochCommitment(await generateEpochKey(), room.id, 3) }, 'bad-signature'],
      ['another epoch', await announce(ann, 4, epochKey), 'invalid-payload'],
      ['another room', await announceEpoch({ roomId: cat.account.userId, epoch: 3, makerId: ann.account.userId, epochKey, makerSig: ann.account.identity.sig.privateKey }), 'invalid-payload'],
      ['another maker', await announce(mal, 3, epochKey), 'invalid-payload'],
      ['not a commitment', { ...good, commit: 'AAAA' }, 'invalid-payload'],
    ];
    for (const [why, announcement, code] of refusals) {
      expect({ why, reply: await askRaw(ann.socket!, CHAT_EVENTS.newEpoch, { roomId: room.id, epoch: 3, boxes, announcement }) }).toMatchObject({ why, reply: { ok: false, error: { code } } });
    }
    expect(await counts()).toEqual(before);
    expect(await ask(ann.socket!, CHAT_EVENTS.newEpoch, { roomId: room.id, epoch: 3, boxes, announcement: good })).toEqual({ ok: true, result: { epoch: 3 } });
    expect(await counts()).toEqual({ boxes: before.boxes + 4, epochs: before.epochs + 1, current: 3 });
  });

  it('takes only epochs the caller may read in key:request, and records nothing for a refused one', async () => {
    const { cat } = people;
    for (const epochs of [[4], [0], [1, 1], ['1'], Array.from({ length: 1001 }, (_, i) => i + 1)]) {
      expect(await askRaw(cat.socket!, CHAT_EVENTS.keyRequest, { roomId: room.id, epochs })).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    }
    expect(await sql(server, `SELECT 1 FROM key_requests WHERE room_id = $1 AND user_id = $2`, [room.id, cat.account.userId])).toEqual([]);

    // In a "joined" room a member reads from the epoch they joined in: earlier ones are not theirs to ask for.
    const { ann, mal } = people;
    const joined: RoomSummary = await createRoom(server, ann, { name: 'Joined only', history: 'joined' });
    const boxFor = async (to: Person, epoch: number, epochKey: CryptoKey) =>
      sealKeyBox({ roomId: joined.id, epoch, epochKey, recipientId: to.account.userId, recipientEnc: (await importPublicKeys(to.account.publicKeys)).enc, sharerId: ann.account.userId, sharerSig: ann.account.identity.sig.privateKey });
    const makeEpoch = async (epoch: number, members: Person[]) => {
      const epochKey = await generateEpochKey();
      const announcement = await announceEpoch({ roomId: joined.id, epoch, makerId: ann.account.userId, epochKey, makerSig: ann.account.identity.sig.privateKey });
      const boxes = await Promise.all(members.map((m) => boxFor(m, epoch, epochKey)));
      expect(await ask(ann.socket!, CHAT_EVENTS.newEpoch, { roomId: joined.id, epoch, boxes, announcement })).toEqual({ ok: true, result: { epoch } });
    };
    expect(await ask(cat.socket!, CHAT_EVENTS.keyRequest, { roomId: joined.id, epochs: [1] })).toMatchObject({ ok: false, error: { code: 'no-such-room' } });
    await joinAndAdmit(server, cat, joined, ann);
    expect(await ask(cat.socket!, CHAT_EVENTS.keyRequest, { roomId: joined.id, epochs: [1] })).toMatchObject({
      ok: false,
      error: { code: 'invalid-payload', message: 'Epoch 1 is not one you can read in this room (none yet: the room has no key)' },
    });
    await makeEpoch(1, [ann, cat]);
    await makeEpoch(2, [ann, cat]);
    await joinAndAdmit(server, mal, joined, ann);
    expect(await ask(mal.socket!, CHAT_EVENTS.keyRequest, { roomId: joined.id, epochs: [1] })).toMatchObject({
      ok: false,
      error: { code: 'invalid-payload', message: 'Epoch 1 is not one you can read in this room (epochs 2 to 2)' },
    });
    expect(await ask(mal.socket!, CHAT_EVENTS.keyRequest, { roomId: joined.id })).toEqual({ ok: true, result: { waiting: true, epochs: [2] } });
    // cat holds boxes for both epochs; asking again for the one it could not use waits for that one.
    expect(await ask(cat.socket!, CHAT_EVENTS.keyRequest, { roomId: joined.id })).toEqual({ ok: true, result: { waiting: false, epochs: [] } });
    expect(await ask(cat.socket!, CHAT_EVENTS.keyRequest, { roomId: joined.id, epochs: [1] })).toEqual({ ok: true, result: { waiting: true, epochs: [1] } });
    // A later plain request keeps the doubt: the request still waits for epoch 1.
    expect(await ask(cat.socket!, CHAT_EVENTS.keyRequest, { roomId: joined.id })).toEqual({ ok: true, result: { waiting: true, epochs: [1] } });
  });

  it('upgrades a database made before: every box stays valid, epochs made before have no announcement, the next epoch has one', async () => {
    const { ann, mal, ben, cat } = people;
    const db = new pg.Client({ connectionString: server.embeddedDatabaseUrl() });
    await db.connect();
    const runner = { query: (text: string) => db.query(text) } as never;
    const before = await material(ann);
    try {
      await new KeyCommitments1764400000000().down(runner);
      expect(await sql(server, `SELECT to_regclass('room_epochs') AS t`)).toEqual([{ t: null }]);
      await new KeyCommitments1764400000000().up(runner);
    } finally {
      await db.end();
    }
    const upgraded = await material(ann);
    expect(upgraded).toEqual({ boxes: before.boxes, epochs: [] });
    const epochKey = await generateEpochKey();
    const boxes = await Promise.all([ann, mal, ben, cat].map((to) => seal(ann, to, 4, epochKey)));
    expect(await ask(ann.socket!, CHAT_EVENTS.newEpoch, { roomId: room.id, epoch: 4, boxes, announcement: await announce(ann, 4, epochKey) })).toEqual({ ok: true, result: { epoch: 4 } });
    expect((await material(ann)).epochs.map((a) => a.epoch)).toEqual([4]);
  });
});

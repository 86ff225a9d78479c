import type { KeyRequested, RoomSummary } from '@conclave/contracts';
import { announceEpoch, decryptMessage, DecryptionError, encryptMessage, generateEpochKey, importPublicKeys, keyMatchesCommitment, openKeyBox, sealKeyBox, textContent, verifyEpochAnnouncement } from '@conclave/crypto';
import type { Socket } from 'socket.io-client';
import { type Account, type Client, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { joinAndAdmit, signRoomGenesis } from '../support/membership.js';
import { ServerProcess } from '../support/server.js';
import { ask, askRaw, CHAT_EVENTS, connect, connected, next, resultOf, sessionCookie } from '../support/sockets.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: ServerProcess;
let room: RoomSummary;
const people: Record<string, { account: Account; rest: Client; socket?: Socket; keys: Map<number, CryptoKey> }> = {};

async function online(name: string, listen: (socket: Socket) => void = () => undefined): Promise<Socket> {
  const person = people[name]!;
  const socket = connect(server, await sessionCookie(server, person.account));
  listen(socket);
  await connected(socket);
  person.socket = socket;
  return socket;
}

const directoryKeys = async (person: { rest: Client }, userId: string): Promise<Account['publicKeys']> => (await person.rest.get(`/api/users/${userId}/keys`).expect(200)).body.publicKeys;

/**
 * What a client does on key:available: fetch its boxes and open them, checking each sharer's
 * signature, and each key against its epoch's announcement, signed by the epoch's maker.
 */
async function collectKeys(name: string): Promise<void> {
  const person = people[name]!;
  const { boxes, epochs } = resultOf(await ask(person.socket!, CHAT_EVENTS.keyBoxes, { roomId: room.id }));
  for (const box of boxes) {
    const sharer = await directoryKeys(person, box.sharerId);
    const key = await openKeyBox(box, { recipientId: person.account.userId, recipientEnc: person.account.identity.enc.privateKey, sharerSig: (await importPublicKeys(sharer)).sig });
    const announcement = epochs.find((a) => a.epoch === box.epoch)!;
    await verifyEpochAnnouncement(announcement, await directoryKeys(person, announcement.makerId));
    if (!(await keyMatchesCommitment(key, announcement))) throw new Error(`the key of epoch ${box.epoch} from ${box.sharerId} is not the announced one`);
    person.keys.set(box.epoch, key);
  }
}

const announce = (maker: string, epoch: number, epochKey: CryptoKey) =>
  announceEpoch({ roomId: room.id, epoch, makerId: people[maker]!.account.userId, epochKey, makerSig: people[maker]!.account.identity.sig.privateKey });

const box = async (from: string, to: { userId: string; publicKeys: Account['publicKeys'] }, epoch: number, epochKey: CryptoKey) =>
  sealKeyBox({
    roomId: room.id,
    epoch,
    epochKey,
    recipientId: to.userId,
    recipientEnc: (await importPublicKeys(to.publicKeys)).enc,
    sharerId: people[from]!.account.userId,
    sharerSig: people[from]!.account.identity.sig.privateKey,
  });

async function say(from: string, body: string, epoch: number) {
  const person = people[from]!;
  const epochKey = person.keys.get(epoch);
  if (!epochKey) throw new Error(`${from} holds no key for epoch ${epoch}`);
  return ask(
    person.socket!,
    CHAT_EVENTS.send,
    await encryptMessage({ roomId: room.id, senderId: person.account.userId, epoch, epochKey, senderSig: person.account.identity.sig.privateKey, content: textContent(body) }),
  );
}

beforeAll(async () => {
  server = await ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000' } });
  for (const name of ['ann', 'ben', 'cat']) {
    const account = await newAccount(name);
    people[name] = { account, rest: await registeredClient(server, account), keys: new Map() };
  }
  room = (await people.ann!.rest.post('/api/rooms', { name: 'Keys', history: 'shared' }).expect(201)).body;
});

afterAll(async () => {
  for (const person of Object.values(people)) person.socket?.disconnect();
  await server?.stop();
});

describe('room keys: epochs, key boxes, sharing and rotation (docs/protocol.md §8)', () => {
  it('lets the creator make epoch 1 with a box for itself, exactly once', async () => {
    await online('ann');
    await signRoomGenesis(people.ann!.socket!, room.id, people.ann!.account);
    const epochKey = await generateEpochKey();
    const own = await box('ann', people.ann!.account, 1, epochKey);
    const announcement = await announce('ann', 1, epochKey);
    expect(await ask(people.ann!.socket!, CHAT_EVENTS.newEpoch, { roomId: room.id, epoch: 1, boxes: [own], announcement })).toEqual({ ok: true, result: { epoch: 1 } });
    expect(await ask(people.ann!.socket!, CHAT_EVENTS.newEpoch, { roomId: room.id, epoch: 1, boxes: [own], announcement })).toMatchObject({ ok: false, error: { code: 'epoch-conflict', currentEpoch: 1 } });
    await collectKeys('ann');
    expect(people.ann!.keys.has(1)).toBe(true);
  });

  it('gets a joiner the key from an online member, signed by that member', async () => {
    await joinAndAdmit(server, people.ben!, room, { account: people.ann!.account, socket: people.ann!.socket! });
    const requested = next(people.ann!.socket!, CHAT_EVENTS.keyRequested);
    await online('ben');
    await ask(people.ben!.socket!, CHAT_EVENTS.enter, { code: room.code });
    expect(await ask(people.ben!.socket!, CHAT_EVENTS.keyRequest, { roomId: room.id })).toEqual({ ok: true, result: { waiting: true, epochs: [1] } });
    const request = await requested;
    expect(request).toMatchObject({ roomId: room.id, code: room.code, requesterId: people.ben!.account.userId, epochs: [1] });

    const available = next(people.ben!.socket!, CHAT_EVENTS.keyAvailable);
    const forBen = await box('ann', { userId: request.requesterId, publicKeys: request.publicKeys }, 1, people.ann!.keys.get(1)!);
    expect(await ask(people.ann!.socket!, CHAT_EVENTS.keyShare, { roomId: room.id, boxes: [forBen] })).toEqual({ ok: true, result: { stored: 1 } });
    expect(await available).toEqual({ roomId: room.id, code: room.code, epochs: [1] });
    await collectKeys('ben');

    await ask(people.ann!.socket!, CHAT_EVENTS.enter, { code: room.code });
    const incoming = next(people.ben!.socket!, CHAT_EVENTS.message);
    expect(await say('ann', 'welcome, ben', 1)).toMatchObject({ ok: true });
    const annKeys = (await importPublicKeys(people.ann!.account.publicKeys)).sig;
    expect(await decryptMessage(await incoming, { epochKey: people.ben!.keys.get(1)!, senderSig: annKeys })).toMatchObject({ body: 'welcome, ben' });
  });

  it('refuses boxes made in someone else’s name, and a new epoch that leaves a member out', async () => {
    const forged = { ...(await box('ben', people.ann!.account, 1, people.ben!.keys.get(1)!)), sharerId: people.ann!.account.userId };
    expect(await ask(people.ben!.socket!, CHAT_EVENTS.keyShare, { roomId: room.id, boxes: [forged] })).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    const epoch2 = await generateEpochKey();
    const onlyAnn = await box('ann', people.ann!.account, 2, epoch2);
    expect(await ask(people.ann!.socket!, CHAT_EVENTS.newEpoch, { roomId: room.id, epoch: 2, boxes: [onlyAnn], announcement: await announce('ann', 2, epoch2) })).toMatchObject({
      ok: false,
      error: { code: 'invalid-payload', message: 'A new epoch needs exactly one box for every admitted member' },
    });
    expect(await askRaw(people.cat!.socket ?? people.ben!.socket!, CHAT_EVENTS.keyShare, { roomId: room.id, boxes: [{ junk: true }] })).toMatchObject({
      ok: false,
      error: { code: 'invalid-payload' },
    });
  });

  it('keeps a request while no member is online, and serves it when one connects', async () => {
    people.ann!.socket!.disconnect();
    people.ben!.socket!.disconnect();
    await joinAndAdmit(server, people.cat!, room, { account: people.ann!.account });
    await online('cat');
    expect(await ask(people.cat!.socket!, CHAT_EVENTS.keyRequest, { roomId: room.id })).toEqual({ ok: true, result: { waiting: true, epochs: [1] } });
    await sleep(300); // nobody online: the request waits in the database

    let requested!: Promise<KeyRequested>;
    await online('ann', (socket) => (requested = next(socket, CHAT_EVENTS.keyRequested)));
    const request = await requested;
    expect(request.requesterId).toBe(people.cat!.account.userId);
    const available = next(people.cat!.socket!, CHAT_EVENTS.keyAvailable);
    await ask(people.ann!.socket!, CHAT_EVENTS.keyShare, { roomId: room.id, boxes: [await box('ann', people.cat!.account, 1, people.ann!.keys.get(1)!)] });
    await available;
    await collectKeys('cat');
    expect(people.cat!.keys.has(1)).toBe(true);
  });

  it('rotates when a member leaves: the first online member makes epoch 2 for those who remain, the leaver cannot open it', async () => {
    await online('ben');
    for (const name of ['ann', 'ben']) await ask(people[name]!.socket!, CHAT_EVENTS.enter, { code: room.code });
    const rotateForAnn = next(people.ann!.socket!, CHAT_EVENTS.rotate);
    await people.cat!.rest.post(`/api/rooms/${room.code}/leave`).expect(204);
    const rotate = await rotateForAnn;
    expect(rotate.nextEpoch).toBe(2);
    expect(rotate.members.map((m) => m.userId).sort()).toEqual([people.ann!.account.userId, people.ben!.account.userId].sort());
    // Until epoch 2 exists nothing more goes out under epoch 1: cat still holds that key.
    await sleep(1100);
    expect(await say('ann', 'while the key is being replaced', 1)).toMatchObject({ ok: false, error: { code: 'rotation-pending', currentEpoch: 1 } });

    const epoch2 = await generateEpochKey();
    const boxes = await Promise.all(rotate.members.map((m) => box('ann', m, 2, epoch2)));
    const benHears = next(people.ben!.socket!, CHAT_EVENTS.epoch);
    expect(await ask(people.ann!.socket!, CHAT_EVENTS.newEpoch, { roomId: room.id, epoch: 2, boxes, announcement: await announce('ann', 2, epoch2) })).toEqual({ ok: true, result: { epoch: 2 } });
    expect(await benHears).toEqual({ roomId: room.id, code: room.code, epoch: 2 });
    // A second maker of epoch 2 (ben answering late) is refused.
    const late = await Promise.all(rotate.members.map((m) => box('ben', m, 2, people.ben!.keys.get(1)!)));
    const lateAnnouncement = await announce('ben', 2, people.ben!.keys.get(1)!);
    expect(await ask(people.ben!.socket!, CHAT_EVENTS.newEpoch, { roomId: room.id, epoch: 2, boxes: late, announcement: lateAnnouncement })).toMatchObject({ ok: false, error: { code: 'epoch-conflict' } });

    await collectKeys('ben');
    await sleep(1100);
    expect(await say('ann', 'under the old key', 1)).toMatchObject({ ok: false, error: { code: 'stale-epoch', currentEpoch: 2 } });
    await sleep(1100);
    people.ann!.keys.set(2, epoch2);
    const incoming = next(people.ben!.socket!, CHAT_EVENTS.message);
    expect(await say('ann', 'after cat left', 2)).toMatchObject({ ok: true });
    const message = await incoming;
    const annSig = (await importPublicKeys(people.ann!.account.publicKeys)).sig;
    expect(await decryptMessage(message, { epochKey: people.ben!.keys.get(2)!, senderSig: annSig })).toMatchObject({ body: 'after cat left' });
    // cat kept epoch 1 but has no box for epoch 2 and is no longer allowed to ask.
    await expect(decryptMessage(message, { epochKey: people.cat!.keys.get(1)!, senderSig: annSig })).rejects.toBeInstanceOf(DecryptionError);
    expect(await ask(people.cat!.socket!, CHAT_EVENTS.keyBoxes, { roomId: room.id })).toMatchObject({ ok: false, error: { code: 'no-such-room' } });
  });
});

import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { CHAT_EVENTS, type EpochAnnouncement, type KeyBox, type KeyMaterial, type PublicKeys } from '@conclave/contracts';
import { announceEpoch, exportPublicKeys, generateEpochKey, generateIdentity, importPublicKeys, keyMatchesCommitment, type NewIdentity, sealKeyBox, verifyEpochAnnouncement } from '@conclave/crypto';
import { SessionService } from '../session.service';
import { DirectoryService } from './directory.service';
import type { RoomTrust } from './membership.service';
import { RoomKeysService } from './room-keys.service';
import { SocketService } from './socket.service';

/**
 * The key-commitment state machine of RoomKeysService with real libs/crypto and a scripted socket
 * (the server's side is covered by test/api/key-commitments.e2e-spec.ts against a real server).
 */
const ROOM = '6f1c1a52-8a7e-4c4e-9f62-3f3a3c2a1b10';
const OTHER = '7f1c1a52-8a7e-4c4e-9f62-3f3a3c2a1b10';

interface Person {
  userId: string;
  identity: NewIdentity;
  publicKeys: PublicKeys;
}

async function person(userId: string): Promise<Person> {
  const identity = await generateIdentity();
  return { userId, identity, publicKeys: await exportPublicKeys(identity) };
}

/** Answers key:boxes with `material`, records every request, and answers the rest as a server would. */
class ScriptedSocket {
  material: KeyMaterial = { boxes: [], epochs: [] };
  readonly requests: Array<{ event: string; payload: Record<string, unknown> }> = [];

  async request<T>(event: string, payload: Record<string, unknown>): Promise<T> {
    this.requests.push({ event, payload });
    if (event === CHAT_EVENTS.keyBoxes) return structuredClone(this.material) as T;
    if (event === CHAT_EVENTS.keyRequest) return { waiting: true, epochs: (payload['epochs'] as number[] | undefined) ?? [] } as T;
    if (event === CHAT_EVENTS.newEpoch) return { epoch: payload['epoch'] } as T;
    return {} as T;
  }

  sent(event: string) {
    return this.requests.filter((r) => r.event === event).map((r) => r.payload);
  }
}

describe('RoomKeysService: key commitments', () => {
  let me: Person;
  let ann: Person;
  let mal: Person;
  let socket: ScriptedSocket;
  let keys: RoomKeysService;
  /** What MembershipService says of the room: a pinned genesis whose chain holds all three, unless a test says otherwise. */
  let trust: RoomTrust;

  beforeAll(async () => {
    [me, ann, mal] = await Promise.all([person('11111111-1111-4111-8111-111111111111'), person('22222222-2222-4222-8222-222222222222'), person('33333333-3333-4333-8333-333333333333')]);
  }, 60_000);

  beforeEach(() => {
    socket = new ScriptedSocket();
    const directory = new Map([me, ann, mal].map((p) => [p.userId, { userId: p.userId, username: p.userId, publicKeys: p.publicKeys }]));
    TestBed.configureTestingModule({
      providers: [
        { provide: SocketService, useValue: socket },
        { provide: DirectoryService, useValue: { lookup: async (id: string) => directory.get(id)!, remember: () => undefined } },
        {
          provide: SessionService,
          useValue: { user: signal({ id: me.userId, username: 'me', publicKeys: me.publicKeys }), keys: signal({ enc: me.identity.enc.privateKey, sig: me.identity.sig.privateKey }) },
        },
      ],
    });
    keys = TestBed.inject(RoomKeysService);
    trust = { genesis: 'signed', chain: new Map([me, ann, mal].map((p) => [p.userId, { keys: '', via: 'approval' as const }])) };
    keys.membership = { roomTrust: async () => trust };
  });

  const box = async (from: Person, epoch: number, epochKey: CryptoKey): Promise<KeyBox> =>
    sealKeyBox({ roomId: ROOM, epoch, epochKey, recipientId: me.userId, recipientEnc: (await importPublicKeys(me.publicKeys)).enc, sharerId: from.userId, sharerSig: from.identity.sig.privateKey });
  const announce = (maker: Person, epoch: number, epochKey: CryptoKey): Promise<EpochAnnouncement> =>
    announceEpoch({ roomId: ROOM, epoch, makerId: maker.userId, epochKey, makerSig: maker.identity.sig.privateKey });
  const raw = async (key: CryptoKey | undefined) => (key ? new Uint8Array(await crypto.subtle.exportKey('raw', key)) : undefined);

  it('takes the box whose key matches the announcement, refusing a wrong-key box listed before it', async () => {
    const announced = await generateEpochKey();
    socket.material = { boxes: [await box(mal, 1, await generateEpochKey()), await box(ann, 1, announced)], epochs: [await announce(ann, 1, announced)] };
    await keys.refresh(ROOM);
    expect(await raw(keys.key(ROOM, 1))).toEqual(await raw(announced));
    expect(keys.rejectedBoxes()).toBe(1);
    expect(keys.refusedEpochs().size).toBe(0);
    expect(socket.sent(CHAT_EVENTS.keyRequest)).toEqual([]);
  });

  it('asks again for an epoch none of whose boxes matches, says so, and takes the right key when another member shares it', async () => {
    const announced = await generateEpochKey();
    const wrong = await box(mal, 1, await generateEpochKey());
    socket.material = { boxes: [wrong], epochs: [await announce(ann, 1, announced)] };
    keys.setCurrentEpoch(ROOM, 1);
    await keys.refresh(ROOM);
    expect(keys.key(ROOM, 1)).toBeUndefined();
    expect(socket.sent(CHAT_EVENTS.keyRequest)).toEqual([{ roomId: ROOM, epochs: [1] }]);
    expect(keys.refusedEpochs().get(ROOM)).toEqual([1]);
    expect(keys.waiting().has(ROOM)).toBe(true);
    expect(keys.rejectedBoxes()).toBe(1);

    // mal sends another wrong box: refused, but the same sharer again is no reason to ask again.
    socket.material = { ...socket.material, boxes: [await box(mal, 1, await generateEpochKey())] };
    await keys.arrived(ROOM);
    expect(keys.rejectedBoxes()).toBe(2);
    expect(socket.sent(CHAT_EVENTS.keyRequest)).toHaveLength(1);

    // ann shares the announced key: taken, and the room stops waiting.
    socket.material = { ...socket.material, boxes: [...socket.material.boxes, await box(ann, 1, announced)] };
    await keys.arrived(ROOM);
    expect(await raw(keys.key(ROOM, 1))).toEqual(await raw(announced));
    expect(keys.refusedEpochs().size).toBe(0);
    expect(keys.waiting().has(ROOM)).toBe(false);
    expect(keys.rejectedBoxes()).toBe(2);
    expect(socket.sent(CHAT_EVENTS.keyRequest)).toHaveLength(1);
  });

  it('on entering a room whose current epoch has only refused boxes, asks once with the epochs, waits, and never makes an epoch', async () => {
    const announced = await generateEpochKey();
    socket.material = { boxes: [await box(mal, 1, await generateEpochKey())], epochs: [await announce(ann, 1, announced)] };
    await keys.ensure(ROOM, 1, async () => [me, ann].map(({ userId, publicKeys }) => ({ userId, publicKeys })));
    expect(socket.sent(CHAT_EVENTS.keyRequest)).toEqual([{ roomId: ROOM, epochs: [1] }]);
    expect(socket.sent(CHAT_EVENTS.newEpoch)).toEqual([]);
    expect(keys.waiting().has(ROOM)).toBe(true);
  });

  it('asks again when a new sharer’s box is refused too (a split epoch: the maker itself gave a wrong key)', async () => {
    const announced = await generateEpochKey();
    socket.material = { boxes: [await box(mal, 2, await generateEpochKey())], epochs: [await announce(mal, 2, announced)] };
    await keys.refresh(ROOM);
    socket.material = { ...socket.material, boxes: [...socket.material.boxes, await box(ann, 2, await generateEpochKey())] };
    await keys.refresh(ROOM);
    expect(socket.sent(CHAT_EVENTS.keyRequest)).toEqual([
      { roomId: ROOM, epochs: [2] },
      { roomId: ROOM, epochs: [2] },
    ]);
    expect(keys.key(ROOM, 2)).toBeUndefined();
  });

  it('refuses a key whose announcement is not signed by its maker, even when the key matches the commit', async () => {
    const epochKey = await generateEpochKey();
    const forged = { ...(await announce(mal, 1, epochKey)), makerId: ann.userId };
    socket.material = { boxes: [await box(ann, 1, epochKey)], epochs: [forged] };
    await keys.refresh(ROOM);
    expect(keys.key(ROOM, 1)).toBeUndefined();
    expect(keys.rejectedBoxes()).toBe(1);
    expect(keys.refusedEpochs().get(ROOM)).toEqual([1]);
  });

  it('refuses a box not signed by its sharer, as before', async () => {
    const epochKey = await generateEpochKey();
    socket.material = { boxes: [{ ...(await box(mal, 1, epochKey)), sharerId: ann.userId }], epochs: [await announce(ann, 1, epochKey)] };
    await keys.refresh(ROOM);
    expect(keys.key(ROOM, 1)).toBeUndefined();
    expect(keys.rejectedBoxes()).toBe(1);
  });

  it('accepts an epoch made before key commitments by its signature alone, but not an unannounced epoch after an announced one', async () => {
    const [first, second, third] = await Promise.all([generateEpochKey(), generateEpochKey(), generateEpochKey()]);
    socket.material = { boxes: [await box(ann, 1, first), await box(ann, 2, second), await box(ann, 3, third)], epochs: [await announce(ann, 2, second)] };
    await keys.refresh(ROOM);
    expect(await raw(keys.key(ROOM, 1))).toEqual(await raw(first));
    expect(await raw(keys.key(ROOM, 2))).toEqual(await raw(second));
    expect(keys.key(ROOM, 3)).toBeUndefined();
    expect(keys.refusedEpochs().get(ROOM)).toEqual([3]);
  });

  it('makes a room’s first epoch with its signed announcement, which the held key matches', async () => {
    socket.request = (async (event: string, payload: Record<string, unknown>) => {
      socket.requests.push({ event, payload });
      if (event === CHAT_EVENTS.keyBoxes) return { boxes: [], epochs: [] };
      if (event === CHAT_EVENTS.keyRequest) return { waiting: false, epochs: [] };
      return { epoch: payload['epoch'] };
    }) as ScriptedSocket['request'];
    await keys.ensure(ROOM, 1, async () => [me, ann].map(({ userId, publicKeys }) => ({ userId, publicKeys })));
    const [made] = socket.sent(CHAT_EVENTS.newEpoch) as Array<{ epoch: number; boxes: KeyBox[]; announcement: EpochAnnouncement }>;
    expect(made).toMatchObject({ roomId: ROOM, epoch: 1, announcement: { roomId: ROOM, epoch: 1, makerId: me.userId } });
    expect(made!.boxes.map((b) => b.recipientId)).toEqual([me.userId, ann.userId]);
    await verifyEpochAnnouncement(made!.announcement, me.publicKeys);
    expect(await keyMatchesCommitment(keys.key(ROOM, 1)!, made!.announcement)).toBe(true);
  });

  it('takes a box only for the room and epoch it is opened under, with an announcement of that room and epoch', async () => {
    const epochKey = await generateEpochKey();
    const elsewhere = await sealKeyBox({ roomId: OTHER, epoch: 1, epochKey, recipientId: me.userId, recipientEnc: (await importPublicKeys(me.publicKeys)).enc, sharerId: ann.userId, sharerSig: ann.identity.sig.privateKey });
    socket.material = { boxes: [elsewhere], epochs: [await announce(ann, 1, epochKey)] };
    await keys.refresh(ROOM);
    expect(keys.key(ROOM, 1)).toBeUndefined();

    // An announcement of epoch 1 listed as epoch 2's: refused (and epoch 2 counts as announced-first, so not unannounced either).
    const second = await generateEpochKey();
    socket.material = { boxes: [await box(ann, 2, second)], epochs: [{ ...(await announce(ann, 1, second)), epoch: 2 }] };
    await keys.refresh(ROOM);
    expect(keys.key(ROOM, 2)).toBeUndefined();
    // Another room's announcement is not this room's.
    const third = await generateEpochKey();
    socket.material = { boxes: [await box(ann, 3, third)], epochs: [await announce(ann, 1, epochKey), { ...(await announce(ann, 3, third)), roomId: OTHER }] };
    await keys.refresh(ROOM);
    expect(keys.key(ROOM, 3)).toBeUndefined();
    expect(keys.rejectedBoxes()).toBe(3);
  });

  it('refuses a box shared, or an epoch made, by someone the admission chain never admitted', async () => {
    trust = { genesis: 'signed', chain: new Map([me, ann].map((p) => [p.userId, { keys: '', via: 'approval' as const }])) };
    const [one, two] = await Promise.all([generateEpochKey(), generateEpochKey()]);
    socket.material = { boxes: [await box(mal, 1, one), await box(ann, 2, two)], epochs: [await announce(ann, 1, one), await announce(mal, 2, two)] };
    await keys.refresh(ROOM);
    expect(keys.key(ROOM, 1)).toBeUndefined();
    expect(keys.key(ROOM, 2)).toBeUndefined();
    expect(keys.rejectedBoxes()).toBe(2);
  });

  it('in a room with a genesis whose epochs have no announcement (made before v2), takes a chain member\u2019s key by its signature, moves the room on to an announced epoch, and takes none from outside the chain', async () => {
    const epochKey = await generateEpochKey();
    socket.material = { boxes: [await box(ann, 1, epochKey)], epochs: [] };
    await keys.ensure(ROOM, 1, async () => [me].map(({ userId, publicKeys }) => ({ userId, publicKeys })));
    expect(await raw(keys.key(ROOM, 1))).toEqual(await raw(epochKey));
    const [made] = socket.sent(CHAT_EVENTS.newEpoch) as Array<{ epoch: number; announcement: EpochAnnouncement }>;
    expect(made).toMatchObject({ epoch: 2, announcement: { roomId: ROOM, epoch: 2, makerId: me.userId } });
    expect(keys.currentEpoch(ROOM)).toBe(2);

    keys.forget();
    trust = { genesis: 'signed', chain: new Map([me].map((p) => [p.userId, { keys: '', via: 'approval' as const }])) };
    await keys.refresh(ROOM);
    expect(keys.key(ROOM, 1)).toBeUndefined();

    keys.forget();
    trust = { genesis: 'none', chain: new Map() };
    await keys.refresh(ROOM);
    expect(await raw(keys.key(ROOM, 1))).toEqual(await raw(epochKey));
  });

  it('in a room whose pinned genesis changed, takes no key and makes no epoch', async () => {
    trust = { genesis: 'changed', chain: new Map() };
    const epochKey = await generateEpochKey();
    socket.material = { boxes: [await box(ann, 1, epochKey)], epochs: [await announce(ann, 1, epochKey)] };
    await keys.refresh(ROOM);
    expect(keys.key(ROOM, 1)).toBeUndefined();
    socket.material = { boxes: [], epochs: [] };
    socket.request = (async (event: string, payload: Record<string, unknown>) => {
      socket.requests.push({ event, payload });
      if (event === CHAT_EVENTS.keyBoxes) return { boxes: [], epochs: [] };
      if (event === CHAT_EVENTS.keyRequest) return { waiting: false, epochs: [] };
      return { epoch: payload['epoch'] };
    }) as ScriptedSocket['request'];
    await expect(keys.ensure(ROOM, 1, async () => [me].map(({ userId, publicKeys }) => ({ userId, publicKeys })))).rejects.toThrow(/genesis changed/);
    expect(socket.sent(CHAT_EVENTS.newEpoch)).toEqual([]);
  });
});

import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { type Admission, CHAT_EVENTS, type GenesisRequest, type GrantRequest, type JoinRequest, type PublicKeys, type RoomDetail } from '@conclave/contracts';
import {
  exportPublicKeys,
  generateEpochKey,
  generateIdentity,
  inviteIdFromSecret,
  inviteVerifier,
  joinProof,
  memberKeysDigest,
  type NewIdentity,
  newInviteSecret,
  sealVerifier,
  signAdmission,
  signGenesis,
  verifyAdmission,
  verifyGenesis,
} from '@conclave/crypto';
import { ApiClient } from '../api-client.service';
import { CryptoService } from '../crypto.service';
import { SessionService } from '../session.service';
import { type ContactRecord, ContactStore } from './contact-store.service';
import { MembershipService } from './membership.service';
import { RoomKeysService } from './room-keys.service';
import { SocketService } from './socket.service';

interface Person {
  id: string;
  name: string;
  identity: NewIdentity;
  publicKeys: PublicKeys;
}

async function person(name: string): Promise<Person> {
  const identity = await generateIdentity();
  return { id: `${name}-id`, name, identity, publicKeys: await exportPublicKeys(identity) };
}

class MemoryContactStore {
  readonly records = new Map<string, ContactRecord>();
  async get(owner: string, contact: string) {
    return this.records.get(`${owner}/${contact}`);
  }
  async put(owner: string, contact: string, record: ContactRecord) {
    this.records.set(`${owner}/${contact}`, record);
  }
  readonly pins = new Map<string, string>();
  async roomPin(owner: string, roomId: string) {
    return this.pins.get(`${owner}/${roomId}`);
  }
  async pinRoom(owner: string, roomId: string, digest: string) {
    if (!this.pins.has(`${owner}/${roomId}`)) this.pins.set(`${owner}/${roomId}`, digest);
  }
}

/** The server as this service sees it: the room's detail and the key directory (both may lie). */
class FakeApi {
  detail!: RoomDetail;
  readonly directory = new Map<string, Person>();
  async room() {
    return structuredClone(this.detail);
  }
  /** The user's rooms: the one of the detail, under its id and code. */
  async myRooms() {
    return [{ id: this.detail.id, code: this.detail.code }];
  }
  async userKeys(userId: string) {
    const p = this.directory.get(userId);
    if (!p) throw new Error('404');
    return { id: p.id, username: p.name, publicKeys: p.publicKeys };
  }
}

class FakeSocket {
  readonly sent: Array<{ event: string; payload: unknown }> = [];
  async request(event: string, payload: unknown) {
    this.sent.push({ event, payload });
    return {};
  }
}

class FakeKeys {
  readonly held = new Map<string, CryptoKey>();
  key(roomId: string, epoch: number) {
    return this.held.get(`${roomId}/${epoch}`);
  }
  async refresh() {}
}

const ROOM = 'room-1';
const CODE = 'ABCD';

describe('MembershipService', () => {
  let ann: Person, ben: Person, cat: Person, mal: Person;
  let api: FakeApi;
  let socket: FakeSocket;
  let keys: FakeKeys;
  let store: MemoryContactStore;
  let membership: MembershipService;

  beforeAll(async () => {
    [ann, ben, cat, mal] = await Promise.all([person('ann'), person('ben'), person('cat'), person('mal')]);
  }, 60_000);

  /** Signs in as `me`, with the room as the server reports it. */
  function setUp(me: Person, detail: RoomDetail): void {
    api = new FakeApi();
    api.detail = detail;
    for (const p of [ann, ben, cat, mal]) api.directory.set(p.id, p);
    socket = new FakeSocket();
    keys = new FakeKeys();
    store = new MemoryContactStore();
    TestBed.resetTestingModule();
    TestBed.configureTestingModule({
      providers: [
        { provide: ApiClient, useValue: api },
        { provide: SocketService, useValue: socket },
        { provide: RoomKeysService, useValue: keys },
        { provide: ContactStore, useValue: store },
        { provide: SessionService, useValue: { user: signal({ id: me.id, username: me.name, publicKeys: me.publicKeys }), keys: signal({ enc: me.identity.enc.privateKey, sig: me.identity.sig.privateKey }) } },
      ],
    });
    membership = TestBed.inject(MembershipService);
  }

  const member = (p: Person, role: 'owner' | 'member' = 'member') => ({ id: p.id, username: p.name, role, joinedAt: '2026-01-01T00:00:00Z', publicKeys: p.publicKeys });
  const genesisBy = (p: Person) => signGenesis({ roomId: ROOM, creatorId: p.id, creatorKeys: p.publicKeys, creatorSig: p.identity.sig.privateKey });
  const admit = (who: Person, by: Person, keysOf: Person = who): Promise<Admission> =>
    signAdmission({ roomId: ROOM, memberId: who.id, memberKeys: keysOf.publicKeys, admitterId: by.id, via: 'approval', admitterSig: by.identity.sig.privateKey });

  function room(members: ReturnType<typeof member>[], extra: Partial<RoomDetail> = {}): RoomDetail {
    return {
      id: ROOM,
      code: CODE,
      name: 'Room',
      history: 'shared',
      maxMembers: 10,
      hasPassword: false,
      memberCount: members.length,
      role: 'member',
      currentEpoch: 1,
      unread: 0,
      members,
      genesis: null,
      admissions: [],
      pending: [],
      ...extra,
    };
  }

  it('wraps keys only to admitted members: a member the server added without an admission gets nothing', async () => {
    setUp(ben, room([member(ann, 'owner'), member(ben), member(mal)], { genesis: await genesisBy(ann), admissions: [await admit(ben, ann)] }));
    const audience = await membership.keyAudience({ id: ROOM, code: CODE });
    expect(audience.recipients.map((r) => r.userId).sort()).toEqual([ann.id, ben.id]);
    expect(await membership.allowed({ id: ROOM, code: CODE }, [mal.id])).toEqual([]);
  });

  it('follows the chain through an admitter who left, and gives nothing without a genesis', async () => {
    // ann (the creator) admitted cat, cat admitted ben, then cat left: ben stays admitted.
    const detail = room([member(ann, 'owner'), member(ben)], { genesis: await genesisBy(ann), admissions: [await admit(cat, ann), await admit(ben, cat)] });
    setUp(ann, detail);
    expect((await membership.keyAudience({ id: ROOM, code: CODE })).recipients.map((r) => r.userId).sort()).toEqual([ann.id, ben.id]);

    setUp(ann, { ...detail, genesis: null });
    expect((await membership.keyAudience({ id: ROOM, code: CODE })).recipients).toEqual([]);
  });

  it('admits nobody when the server answers with another room (its genesis and admissions) for this one', async () => {
    setUp(ben, room([member(ann, 'owner'), member(ben)], { genesis: await genesisBy(ann), admissions: [await admit(ben, ann)] }));
    expect((await membership.keyAudience({ id: 'another-room', code: CODE })).recipients).toEqual([]);
  });

  it('uses the keys the admission names: a member whose keys the server swapped is left out', async () => {
    // The server reports ben with mal's keys; ben's admission names ben's own.
    setUp(ann, room([member(ann, 'owner'), { ...member(ben), publicKeys: mal.publicKeys }], { genesis: await genesisBy(ann), admissions: [await admit(ben, ann)] }));
    expect((await membership.keyAudience({ id: ROOM, code: CODE })).recipients.map((r) => r.userId)).toEqual([ann.id]);
  });

  it('never wraps silently to a key the contact book knows as changed', async () => {
    // cat was admitted again with new keys (mal's pair) by ben; ann's contact book remembers cat's old keys.
    const catNow = { ...cat, publicKeys: mal.publicKeys };
    setUp(ann, room([member(ann, 'owner'), member(ben), member(catNow)], { genesis: await genesisBy(ann), admissions: [await admit(ben, ann), await admit(cat, ben, mal)] }));
    const { keysDigest } = await import('@conclave/crypto');
    store.records.set(`${ann.id}/${cat.id}`, { keys: await keysDigest(cat.publicKeys), verified: false });
    const audience = await membership.keyAudience({ id: ROOM, code: CODE });
    expect(audience.recipients.map((r) => r.userId).sort()).toEqual([ann.id, ben.id]);
    expect(audience.heldBack).toEqual([cat.id]);
    expect(membership.heldBack()[ROOM]).toEqual([cat.id]);
  });

  it('signs the genesis and admits the current members when the owner opens a room that has none', async () => {
    setUp(ann, { ...room([member(ann, 'owner'), member(ben), member(cat)]), role: 'owner' });
    await membership.ensureGenesis(api.detail);
    expect(socket.sent.map((s) => s.event)).toEqual([CHAT_EVENTS.genesis]);
    const request = socket.sent[0]!.payload as GenesisRequest;
    await verifyGenesis(request.genesis, ann.publicKeys);
    expect(request.admissions.map((a) => [a.memberId, a.via, a.admitterId])).toEqual([
      [ben.id, 'upgrade', ann.id],
      [cat.id, 'upgrade', ann.id],
    ]);
    for (const a of request.admissions) await verifyAdmission(a, ann.publicKeys);
    expect(request.admissions[0]!.memberKeys).toBe(await memberKeysDigest(ben.id, ben.publicKeys));

    // Signed, it is pinned: the server withholding it later gets no second genesis (nor 'upgrade' admissions).
    socket.sent.length = 0;
    await membership.ensureGenesis(api.detail);
    expect(socket.sent).toEqual([]);
    expect(membership.tampered().has(ROOM)).toBe(true);

    // Entered twice at once: signed once.
    setUp(ann, { ...room([member(ann, 'owner'), member(ben), member(cat)]), role: 'owner' });
    await Promise.all([membership.ensureGenesis(api.detail), membership.ensureGenesis(api.detail)]);
    expect(socket.sent.length).toBe(1);

    // Once signed, or for anyone but the owner: nothing.
    socket.sent.length = 0;
    await membership.ensureGenesis({ ...api.detail, genesis: request.genesis });
    await membership.ensureGenesis({ ...api.detail, role: 'member' });
    expect(socket.sent).toEqual([]);
  });

  describe('genesis pinning', () => {
    it('pins the first valid genesis seen; another one, or none, later admits nobody and says so', async () => {
      const first = await genesisBy(ann);
      setUp(ben, room([member(ann, 'owner'), member(ben)], { genesis: first, admissions: [await admit(ben, ann)] }));
      expect([...(await membership.admitted(api.detail, ROOM)).keys()].sort()).toEqual([ann.id, ben.id]);
      expect(store.pins.get(`${ben.id}/${ROOM}`)).toBeTruthy();
      expect(membership.tampered().has(ROOM)).toBe(false);

      // The server swaps in a genesis of its own making (mal's), with an admission chain of its own.
      const swapped = { ...api.detail, genesis: await genesisBy(mal), admissions: [await admit(ben, mal)] };
      expect((await membership.admitted(swapped, ROOM)).size).toBe(0);
      expect(membership.tampered().has(ROOM)).toBe(true);
      api.detail = swapped;
      expect((await membership.keyAudience({ id: ROOM, code: CODE })).recipients).toEqual([]);
      expect((await membership.roomTrust(ROOM)).genesis).toBe('changed');

      // ... or withholds it: nobody either.
      expect((await membership.trust({ ...api.detail, genesis: null, admissions: [] }, ROOM)).genesis).toBe('changed');
      // The pin is never replaced.
      expect(store.pins.get(`${ben.id}/${ROOM}`)).toBe(await TestBed.inject(CryptoService).genesisDigest(first));
    });

    it('does not pin a genesis that does not verify, and keeps a room without genesis or pin as before (nobody admitted, not tampered)', async () => {
      const forged = { ...(await genesisBy(mal)), creatorId: ann.id };
      setUp(ben, room([member(ann, 'owner'), member(ben)], { genesis: forged }));
      expect((await membership.admitted(api.detail, ROOM)).size).toBe(0);
      expect(store.pins.size).toBe(0);
      expect(await membership.trust({ ...api.detail, genesis: null }, ROOM)).toEqual({ genesis: 'none', chain: new Map() });
      expect(membership.tampered().size).toBe(0);
    });
  });

  describe('join requests', () => {
    let secret: string;
    let request: JoinRequest;

    beforeEach(async () => {
      setUp(ann, room([member(ann, 'owner')], { genesis: await genesisBy(ann) }));
      const epochKey = await generateEpochKey();
      keys.held.set(`${ROOM}/1`, epochKey);
      secret = newInviteSecret();
      const inviteId = await inviteIdFromSecret(secret);
      const verifier = await inviteVerifier(secret);
      request = {
        roomId: ROOM,
        code: CODE,
        userId: cat.id,
        username: cat.name,
        publicKeys: cat.publicKeys,
        via: 'invite',
        inviteId,
        proof: await joinProof(verifier, { code: CODE, joinerId: cat.id, joinerKeys: cat.publicKeys }),
        sealed: await sealVerifier({ roomId: ROOM, epoch: 1, epochKey, verifierId: inviteId, verifier }),
        requestedAt: '2026-01-01T00:00:00Z',
      };
    });

    it('admits an invite whose proof checks, for the keys the proof covers, without asking', async () => {
      await membership.requested(request);
      expect(socket.sent.map((s) => s.event)).toEqual([CHAT_EVENTS.admissionGrant]);
      const { admission } = socket.sent[0]!.payload as GrantRequest;
      await verifyAdmission(admission, ann.publicKeys);
      expect(admission).toMatchObject({ roomId: ROOM, memberId: cat.id, admitterId: ann.id, via: 'invite', memberKeys: await memberKeysDigest(cat.id, cat.publicKeys) });
      expect(membership.requests()).toEqual({});
    });

    it('shows a request whose keys were swapped on the way (the proof fails) instead of admitting it', async () => {
      await membership.requested({ ...request, publicKeys: mal.publicKeys });
      expect(socket.sent).toEqual([]);
      expect(membership.requests()[CODE]?.map((r) => [r.userId, r.note])).toEqual([[cat.id, 'Their invite link proof is wrong: admit only if you know this person.']]);
    });

    it('leaves a proof it cannot check (no key for its epoch) to the user', async () => {
      keys.held.clear();
      await membership.requested(request);
      expect(socket.sent).toEqual([]);
      expect(membership.requests()[CODE]?.[0]?.note).toContain('cannot check');
    });

    it('shows an approval request once, admits or declines it on the user’s word, and forgets it when resolved elsewhere', async () => {
      const approval: JoinRequest = { ...request, via: 'approval', inviteId: undefined, proof: undefined, sealed: undefined };
      await membership.requested(approval);
      await membership.requested(approval); // sent again at the next connect
      expect(membership.requests()[CODE]?.length).toBe(1);
      expect(socket.sent).toEqual([]);

      await membership.admit(approval);
      const { admission } = socket.sent[0]!.payload as GrantRequest;
      expect(admission.via).toBe('approval');
      await verifyAdmission(admission, ann.publicKeys);
      expect(membership.requests()).toEqual({});

      await membership.requested({ ...approval, userId: mal.id, username: mal.name, publicKeys: mal.publicKeys });
      await membership.decline({ ...approval, userId: mal.id });
      expect(socket.sent[1]).toEqual({ event: CHAT_EVENTS.admissionDecline, payload: { roomId: ROOM, userId: mal.id } });
      expect(membership.requests()).toEqual({});

      await membership.requested({ ...approval, userId: ben.id });
      membership.resolved({ roomId: ROOM, code: CODE, userId: ben.id, outcome: 'admitted' });
      expect(membership.requests()).toEqual({});
    });

    it('drops a request for a room this browser does not know by id, or under another code than that room’s', async () => {
      const approval: JoinRequest = { ...request, via: 'approval', inviteId: undefined, proof: undefined, sealed: undefined };
      await membership.requested({ ...approval, roomId: 'another-room' });
      await membership.requested({ ...approval, code: 'WXYZ' });
      expect(membership.requests()).toEqual({});
      // An invite for another code is not granted either, even with a valid proof for that code.
      await membership.requested({ ...request, code: 'WXYZ' });
      expect(socket.sent).toEqual([]);
      // The room known by id, from the rooms this browser holds: shown under its code.
      membership.knownRooms = () => [{ id: ROOM, code: CODE }];
      await membership.requested(approval);
      expect(membership.requests()[CODE]?.map((r) => r.userId)).toEqual([cat.id]);
    });

    it('takes the requests the server kept (RoomDetail.pending), and drops those decided while away', async () => {
      const approval: JoinRequest = { ...request, via: 'approval', inviteId: undefined, proof: undefined, sealed: undefined };
      await membership.waiting({ ...api.detail, pending: [approval] });
      expect(membership.requests()[CODE]?.map((r) => r.userId)).toEqual([cat.id]);
      await membership.waiting({ ...api.detail, pending: [] });
      expect(membership.requests()).toEqual({});
    });
  });
});

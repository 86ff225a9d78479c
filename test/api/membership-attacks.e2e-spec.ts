import type { Ack, KeyBox, PublicKeys, RoomDetail, RoomSummary } from '@conclave/contracts';
import { admittedMembers, announceEpoch, generateEpochKey, importPublicKeys, memberKeysDigest, sealKeyBox, signAdmission, signGenesis } from '@conclave/crypto';
import { hash } from 'bcryptjs';
import type { Socket } from 'socket.io-client';
import { type Account, type Client, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { sql } from '../support/db.js';
import { admissionFor, askToJoin, createRoom, joinAndAdmit, passwordJoin, setRoomPassword, signRoomGenesis } from '../support/membership.js';
import { ServerProcess } from '../support/server.js';
import { ask, askRaw, CHAT_EVENTS, connect, connected, makeFirstEpoch, resultOf, sessionCookie } from '../support/sockets.js';

/**
 * The attacks membership v2 closes (docs/protocol.md, "Membership"), replayed against a real server
 * and honest libs/crypto clients: a member added by the database alone, a key request relayed with
 * other keys, forged admissions and genesis; and a room made before v2, upgraded by its owner.
 */
let server: ServerProcess;
const NAMES = ['ann', 'ben', 'mal', 'cat', 'dan', 'eve', 'fay'] as const;
type Name = (typeof NAMES)[number];
const people = {} as Record<Name, { account: Account; rest: Client; socket?: Socket }>;
let room: RoomSummary;
let epochKey: CryptoKey;

async function online(name: Name): Promise<Socket> {
  const socket = connect(server, await sessionCookie(server, people[name].account));
  await connected(socket);
  people[name].socket = socket;
  return socket;
}

const id = (name: Name) => people[name].account.userId;
const detail = async (name: Name, code = room.code) => (await people[name].rest.get(`/api/rooms/${code}`).expect(200)).body as RoomDetail;
/** The epoch's signed key commitment, as its maker's browser sends it with key:new-epoch. */
const announcement = (roomId: string, epoch: number, key: CryptoKey, maker: Name) =>
  announceEpoch({ roomId, epoch, makerId: id(maker), epochKey: key, makerSig: people[maker].account.identity.sig.privateKey });
const boxFor = async (roomId: string, epoch: number, key: CryptoKey, sharer: Name, to: { userId: string; publicKeys: PublicKeys }): Promise<KeyBox> =>
  sealKeyBox({ roomId, epoch, epochKey: key, recipientId: to.userId, recipientEnc: (await importPublicKeys(to.publicKeys)).enc, sharerId: id(sharer), sharerSig: people[sharer].account.identity.sig.privateKey });

/** What an honest browser computes before it wraps any key (libs/crypto admittedMembers over RoomDetail and the directory). */
async function admittedAsSeenBy(name: Name, code = room.code) {
  const seen = await detail(name, code);
  const keysOf = async (userId: string) => (await people[name].rest.get(`/api/users/${userId}/keys`).expect(200)).body.publicKeys as PublicKeys;
  return admittedMembers({ roomId: seen.id, genesis: seen.genesis, admissions: seen.admissions, members: seen.members.map((m) => ({ userId: m.id, publicKeys: m.publicKeys })), keysOf });
}

beforeAll(async () => {
  server = await ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', ROOM_PROBES_PER_ADDRESS_PER_MINUTE: '1000' } });
  for (const name of NAMES) {
    const account = await newAccount(name);
    people[name] = { account, rest: await registeredClient(server, account) };
  }
  const ann = await online('ann');
  room = await createRoom(server, { ...people.ann, socket: ann }, { name: 'Guarded', history: 'shared' });
  await joinAndAdmit(server, people.ben, room, { account: people.ann.account, socket: ann });
  epochKey = await makeFirstEpoch(ann, room.id, people.ann.account, [people.ann.account, people.ben.account]);
  await online('ben');
});

afterAll(async () => {
  for (const person of Object.values(people)) person.socket?.disconnect();
  await server?.stop();
});

describe('a member the database alone added', () => {
  it('gets no key: the server refuses shares and epochs that include them, and honest clients do not count them as admitted', async () => {
    await sql(server, `INSERT INTO room_members (room_id, user_id, role, joined_epoch) VALUES ($1, $2, 'member', 1)`, [room.id, id('mal')]);
    const mal = await online('mal');
    // The server lists mal (it may exclude, it cannot include): what matters is that no key reaches him.
    expect((await detail('ann')).members.map((m) => m.id)).toContain(id('mal'));
    expect(await ask(mal, CHAT_EVENTS.keyRequest, { roomId: room.id })).toMatchObject({ ok: false, error: { code: 'not-admitted' } });
    const forMal = await boxFor(room.id, 1, epochKey, 'ann', people.mal.account);
    expect(await ask(people.ann.socket!, CHAT_EVENTS.keyShare, { roomId: room.id, boxes: [forMal] })).toMatchObject({ ok: false, error: { code: 'not-admitted' } });

    const next = await generateEpochKey();
    const withMal = await Promise.all((['ann', 'ben', 'mal'] as const).map((n) => boxFor(room.id, 2, next, 'ann', people[n].account)));
    expect(await ask(people.ann.socket!, CHAT_EVENTS.newEpoch, { roomId: room.id, epoch: 2, boxes: withMal, announcement: await announcement(room.id, 2, next, 'ann') })).toMatchObject({ ok: false, error: { code: 'not-admitted' } });
    expect(await sql(server, `SELECT epoch FROM key_boxes WHERE recipient_id = $1`, [id('mal')])).toEqual([]);

    // The honest client: ann's browser derives the admitted set from the genesis and the signed admissions.
    const admitted = await admittedAsSeenBy('ann');
    expect([...admitted.keys()].sort()).toEqual([id('ann'), id('ben')].sort());
    // It makes the next epoch for exactly those, and the server accepts it (mal is no admitted member).
    const forAdmitted = await Promise.all([...admitted.keys()].map(async (userId) => boxFor(room.id, 2, next, 'ann', { userId, publicKeys: (await detail('ann')).members.find((m) => m.id === userId)!.publicKeys })));
    expect(resultOf(await ask(people.ann.socket!, CHAT_EVENTS.newEpoch, { roomId: room.id, epoch: 2, boxes: forAdmitted, announcement: await announcement(room.id, 2, next, 'ann') }))).toEqual({ epoch: 2 });
    epochKey = next;
    expect(await sql(server, `SELECT epoch FROM key_boxes WHERE recipient_id = $1`, [id('mal')])).toEqual([]);
  });

  it('cannot admit anyone (no admission names his keys)', async () => {
    await askToJoin(people.cat.rest, room.code);
    expect(await ask(people.mal.socket!, CHAT_EVENTS.admissionGrant, { roomId: room.id, admission: await admissionFor(room.id, people.mal.account, people.cat.account) })).toMatchObject({
      ok: false,
      error: { code: 'not-admitted' },
    });
    expect((await detail('ann')).admissions.map((a) => a.memberId)).not.toContain(id('cat'));
  });

  it('leaves the rotation to the admitted members only', async () => {
    const rotate = new Promise<{ members: Array<{ userId: string }> }>((resolve) => people.ann.socket!.once(CHAT_EVENTS.rotate, resolve));
    await people.ann.rest.post(`/api/rooms/${room.code}/members/${id('mal')}/remove`).expect(204);
    expect((await rotate).members.map((m) => m.userId).sort()).toEqual([id('ann'), id('ben')].sort());
  });
});

describe('a key request relayed with substituted public keys', () => {
  it('gets nothing: the admission names the real keys, so neither the server nor an honest client wraps to others', async () => {
    const real = people.ben.account.publicKeys;
    const substitute = people.mal.account.publicKeys;
    const admitted = await admittedAsSeenBy('ann');
    // A relayed request for ben carrying mal's keys does not match what ben's admission names: an honest client wraps nothing.
    expect(admitted.get(id('ben'))!.keys).toBe(await memberKeysDigest(id('ben'), real));
    expect(admitted.get(id('ben'))!.keys).not.toBe(await memberKeysDigest(id('ben'), substitute));

    // A hostile directory swaps ben's keys: ben drops out of the admitted set, on the server and in honest clients.
    await sql(server, `UPDATE users SET enc_public_key = $2, sig_public_key = $3 WHERE id = $1`, [id('ben'), substitute.enc, substitute.sig]);
    try {
      expect((await admittedAsSeenBy('ann')).has(id('ben'))).toBe(false);
      const toSubstitute = await boxFor(room.id, 2, epochKey, 'ann', { userId: id('ben'), publicKeys: substitute });
      expect(await ask(people.ann.socket!, CHAT_EVENTS.keyShare, { roomId: room.id, boxes: [toSubstitute] })).toMatchObject({ ok: false, error: { code: 'not-admitted' } });
    } finally {
      await sql(server, `UPDATE users SET enc_public_key = $2, sig_public_key = $3 WHERE id = $1`, [id('ben'), real.enc, real.sig]);
    }
    expect((await admittedAsSeenBy('ann')).has(id('ben'))).toBe(true);
  });
});

describe('forged admissions and genesis', () => {
  it("refuses an admission not signed by its admitter's directory key, or altered after signing ('bad-signature'), and stores nothing", async () => {
    const inBensName = await signAdmission({ roomId: room.id, memberId: id('cat'), memberKeys: people.cat.account.publicKeys, admitterId: id('ben'), via: 'approval', admitterSig: people.mal.account.identity.sig.privateKey });
    expect(await ask(people.ben.socket!, CHAT_EVENTS.admissionGrant, { roomId: room.id, admission: inBensName })).toMatchObject({ ok: false, error: { code: 'bad-signature' } });
    const altered = { ...(await admissionFor(room.id, people.ben.account, people.cat.account)), via: 'invite' };
    expect(await askRaw(people.ben.socket!, CHAT_EVENTS.admissionGrant, { roomId: room.id, admission: altered })).toMatchObject({ ok: false, error: { code: 'bad-signature' } });
    const seen = await detail('ann');
    expect(seen.admissions.map((a) => a.memberId)).not.toContain(id('cat'));
    expect(seen.pending.map((r) => r.userId)).toContain(id('cat'));
  });

  it.each([
    ['an admission signed in someone else\u2019s name', async () => ({ roomId: room.id, admission: await admissionFor(room.id, people.ann.account, people.cat.account) }), 'invalid-payload'],
    ["an 'upgrade' outside the genesis", async () => ({ roomId: room.id, admission: await admissionFor(room.id, people.ben.account, people.cat.account, 'upgrade') }), 'invalid-payload'],
    ['an admission for another room', async () => ({ roomId: room.id, admission: await admissionFor('00000000-0000-4000-8000-000000000000', people.ben.account, people.cat.account) }), 'invalid-payload'],
    ['a room the caller is not in', async () => ({ roomId: '00000000-0000-4000-8000-000000000000', admission: await admissionFor('00000000-0000-4000-8000-000000000000', people.ben.account, people.cat.account) }), 'no-such-room'],
    ['no admission', async () => ({ roomId: room.id }), 'invalid-payload'],
    ['a signature of the wrong length', async () => ({ roomId: room.id, admission: { ...(await admissionFor(room.id, people.ben.account, people.cat.account)), sig: 'AAAA' } }), 'invalid-payload'],
    ['an unknown field', async () => ({ roomId: room.id, admission: { ...(await admissionFor(room.id, people.ben.account, people.cat.account)), extra: 1 } }), 'invalid-payload'],
  ])('refuses a grant with %s', async (_case, payload, code) => {
    expect(await askRaw(people.ben.socket!, CHAT_EVENTS.admissionGrant, await payload())).toMatchObject({ ok: false, error: { code } });
  });

  it("refuses a genesis not signed by the owner's directory key, or naming other keys ('bad-signature'), by a member who is not the owner, or a second one", async () => {
    const fresh = (await people.ann.rest.post('/api/rooms', { name: 'Fresh', history: 'shared' }).expect(201)).body as RoomSummary;
    const forged = await signGenesis({ roomId: fresh.id, creatorId: id('ann'), creatorKeys: people.ann.account.publicKeys, creatorSig: people.mal.account.identity.sig.privateKey });
    expect(await ask(people.ann.socket!, CHAT_EVENTS.genesis, { roomId: fresh.id, genesis: forged, admissions: [] })).toMatchObject({ ok: false, error: { code: 'bad-signature' } });
    const otherKeys = await signGenesis({ roomId: fresh.id, creatorId: id('ann'), creatorKeys: people.mal.account.publicKeys, creatorSig: people.mal.account.identity.sig.privateKey });
    expect(await ask(people.ann.socket!, CHAT_EVENTS.genesis, { roomId: fresh.id, genesis: otherKeys, admissions: [] })).toMatchObject({ ok: false, error: { code: 'bad-signature' } });
    expect((await detail('ann', fresh.code)).genesis).toBeNull();
    expect(await ask(people.ben.socket!, CHAT_EVENTS.genesis, { roomId: fresh.id, genesis: await signGenesis({ roomId: fresh.id, creatorId: id('ben'), creatorKeys: people.ben.account.publicKeys, creatorSig: people.ben.account.identity.sig.privateKey }), admissions: [] })).toMatchObject({
      ok: false,
      error: { code: 'no-such-room' },
    });
    expect(await signRoomGenesis(people.ann.socket!, fresh.id, people.ann.account)).toEqual([id('ann')]);
    expect(await ask(people.ann.socket!, CHAT_EVENTS.genesis, { roomId: fresh.id, genesis: (await detail('ann', fresh.code)).genesis!, admissions: [] })).toMatchObject({
      ok: false,
      error: { code: 'invalid-payload', message: 'This room already has its genesis' },
    });
  });
});

describe('a room made before membership v2', () => {
  it('admits nobody until its owner signs a genesis with upgrade admissions for the current members; then keys flow as before', async () => {
    // A v1 room: created without a genesis, joined the v1 way (a row per member).
    const old = (await people.ann.rest.post('/api/rooms', { name: 'Old room', history: 'shared' }).expect(201)).body as RoomSummary;
    for (const name of ['dan', 'eve'] as const) await sql(server, `INSERT INTO room_members (room_id, user_id, role, joined_epoch) VALUES ($1, $2, 'member', 1)`, [old.id, id(name)]);
    const before = await detail('dan', old.code);
    expect([before.genesis, before.admissions]).toEqual([null, []]);
    expect((await admittedAsSeenBy('dan', old.code)).size).toBe(0);
    const oldKey = await generateEpochKey();
    const annBox = await boxFor(old.id, 1, oldKey, 'ann', people.ann.account);
    expect(await ask(people.ann.socket!, CHAT_EVENTS.newEpoch, { roomId: old.id, epoch: 1, boxes: [annBox], announcement: await announcement(old.id, 1, oldKey, 'ann') })).toMatchObject({ ok: false, error: { code: 'not-admitted' } });

    const dan = await online('dan');
    const danGenesis = await signGenesis({ roomId: old.id, creatorId: id('dan'), creatorKeys: people.dan.account.publicKeys, creatorSig: people.dan.account.identity.sig.privateKey });
    expect(await ask(dan, CHAT_EVENTS.genesis, { roomId: old.id, genesis: danGenesis, admissions: [] })).toMatchObject({ ok: false, error: { code: 'invalid-payload', message: "Only the room's owner signs its genesis" } });
    // Only current members can be upgraded.
    const genesis = await signGenesis({ roomId: old.id, creatorId: id('ann'), creatorKeys: people.ann.account.publicKeys, creatorSig: people.ann.account.identity.sig.privateKey });
    const upgradeFay = await admissionFor(old.id, people.ann.account, people.fay.account, 'upgrade');
    expect(await ask(people.ann.socket!, CHAT_EVENTS.genesis, { roomId: old.id, genesis, admissions: [upgradeFay] })).toMatchObject({ ok: false, error: { code: 'invalid-payload', message: `${id('fay')} is not a member of this room` } });
    const approvalInGenesis = await admissionFor(old.id, people.ann.account, people.dan.account, 'approval');
    expect(await ask(people.ann.socket!, CHAT_EVENTS.genesis, { roomId: old.id, genesis, admissions: [approvalInGenesis] })).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    expect((await detail('ann', old.code)).genesis).toBeNull();

    expect((await signRoomGenesis(people.ann.socket!, old.id, people.ann.account, [people.dan.account, people.eve.account])).sort()).toEqual([id('ann'), id('dan'), id('eve')].sort());
    const after = await detail('eve', old.code);
    expect(after.admissions.map((a) => [a.memberId, a.via]).sort()).toEqual([[id('dan'), 'upgrade'], [id('eve'), 'upgrade']].sort());
    expect([...(await admittedAsSeenBy('eve', old.code)).keys()].sort()).toEqual([id('ann'), id('dan'), id('eve')].sort());
    await makeFirstEpoch(people.ann.socket!, old.id, people.ann.account, [people.ann.account, people.dan.account, people.eve.account]);
  });

  it('keeps refusing a v1 password room (its old hash matches no joinKey) until the owner sets the password again', async () => {
    const old = await createRoom(server, people.ann, { name: 'Old password', history: 'shared' });
    await sql(server, `UPDATE rooms SET password_hash = $2 WHERE id = $1`, [old.id, await hash('old password', 4)]);
    expect((await people.fay.rest.post(`/api/rooms/${old.code}/join`, {}).expect(404)).body.message).toBe(`No room with code ${old.code}, or it needs a password`);
    expect((await people.fay.rest.post(`/api/rooms/${old.code}/join`, await passwordJoin('old password', old.code, people.fay.account)).expect(404)).body.message).toBe(
      `No room with code ${old.code}, or the password is wrong`,
    );
    await setRoomPassword(people.ann.rest, old, 'old password', { epoch: 1, epochKey: await generateEpochKey() });
    expect(await askToJoin(people.fay.rest, old.code, await passwordJoin('old password', old.code, people.fay.account))).toMatchObject({ status: 'pending', room: { via: 'password' } });
  });
});

describe('admission edge cases', () => {
  it('re-admits a current member no stored admission names (one the upgrade left out), and refuses to admit someone twice', async () => {
    const partial = (await people.ann.rest.post('/api/rooms', { name: 'Partial', history: 'shared' }).expect(201)).body as RoomSummary;
    await sql(server, `INSERT INTO room_members (room_id, user_id, role, joined_epoch) VALUES ($1, $2, 'member', 1)`, [partial.id, id('fay')]);
    await signRoomGenesis(people.ann.socket!, partial.id, people.ann.account);
    expect((await admittedAsSeenBy('ann', partial.code)).has(id('fay'))).toBe(false);
    expect(resultOf(await ask<Ack<{ userId: string }>>(people.ann.socket!, CHAT_EVENTS.admissionGrant, { roomId: partial.id, admission: await admissionFor(partial.id, people.ann.account, people.fay.account) }))).toEqual({ userId: id('fay') });
    expect((await admittedAsSeenBy('ann', partial.code)).has(id('fay'))).toBe(true);
    expect(await ask(people.ann.socket!, CHAT_EVENTS.admissionGrant, { roomId: partial.id, admission: await admissionFor(partial.id, people.ann.account, people.fay.account) })).toMatchObject({
      ok: false,
      error: { code: 'invalid-payload', message: `${id('fay')} is admitted already` },
    });
  });
});

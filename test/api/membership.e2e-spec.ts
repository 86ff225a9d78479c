import {
  type Ack,
  type AdmissionResolved,
  type InviteSummary,
  type JoinRequest,
  type KeyRequested,
  PASSWORD_VERIFIER_ID,
  type PendingRoom,
  type RoomDetail,
  type RoomSummary,
} from '@conclave/contracts';
import { announceEpoch, checkJoinProof, generateEpochKey, importPublicKeys, inviteIdFromSecret, inviteVerifier, joinProof, newInviteSecret, openVerifier, sealKeyBox, sealVerifier } from '@conclave/crypto';
import pg from 'pg';
import type { Socket } from 'socket.io-client';
import { type Account, type Client, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { sql } from '../support/db.js';
import { admissionFor, askToJoin, createRoom, grantAdmission, passwordJoin, setRoomPassword, withSocket } from '../support/membership.js';
import { ServerProcess } from '../support/server.js';
import { ask, CHAT_EVENTS, connect, connected, makeFirstEpoch, next, resultOf, sessionCookie } from '../support/sockets.js';

/**
 * Joining v2 (docs/protocol.md, "Joining"): a code alone makes the caller pending until a member's
 * browser admits them with a signed admission; a pending person is no member (no room, no live
 * channel, no key). Invites and the room password pass the server's gate with a proof a member's
 * browser checks; the server enforces expiry, revocation and use counts.
 */
let server: ServerProcess;
const NAMES = ['ann', 'ben', 'cat', 'dan', 'eve', 'fay', 'gus', 'hal', 'ivy', 'jon'] as const;
type Name = (typeof NAMES)[number];
const people = {} as Record<Name, { account: Account; rest: Client; socket?: Socket }>;
let room: RoomSummary;
let epochKey: CryptoKey;

async function online(name: Name, listen: (socket: Socket) => void = () => undefined): Promise<Socket> {
  const socket = connect(server, await sessionCookie(server, people[name].account));
  listen(socket);
  await connected(socket);
  people[name].socket = socket;
  return socket;
}

const detail = async (name: Name, code = room.code) => (await people[name].rest.get(`/api/rooms/${code}`).expect(200)).body as RoomDetail;
const audit = (event: string, actor: Name) => sql(server, `SELECT details FROM audit_log WHERE event = $1 AND actor_id = $2 ORDER BY id`, [event, people[actor].account.userId]);
const resolvedFor = (socket: Socket, userId: string) => next<AdmissionResolved>(socket, CHAT_EVENTS.admissionResolved, (n) => n.userId === userId);

beforeAll(async () => {
  server = await ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', ROOM_PROBES_PER_ADDRESS_PER_MINUTE: '1000' } });
  for (const name of NAMES) {
    const account = await newAccount(name);
    people[name] = { account, rest: await registeredClient(server, account) };
  }
  const ann = await online('ann');
  room = await createRoom(server, { ...people.ann, socket: ann }, { name: 'Approvals', history: 'shared' });
  epochKey = await makeFirstEpoch(ann, room.id, people.ann.account, [people.ann.account]);
});

afterAll(async () => {
  for (const person of Object.values(people)) person.socket?.disconnect();
  await server?.stop();
});

describe('approval: a code alone makes the joiner pending until a member admits them', () => {
  it('tells online members "ben asks to join", with his directory keys, and lists the room as pending for him', async () => {
    const ben = await online('ben');
    const asked = next<JoinRequest>(people.ann.socket!, CHAT_EVENTS.admissionRequested);
    const answer = await askToJoin(people.ben.rest, room.code);
    expect(answer).toEqual({ status: 'pending', room: { code: room.code, name: 'Approvals', via: 'approval', requestedAt: expect.any(String) } });
    const request = await asked;
    expect(request).toEqual({
      roomId: room.id,
      code: room.code,
      userId: people.ben.account.userId,
      username: 'ben',
      publicKeys: people.ben.account.publicKeys,
      via: 'approval',
      requestedAt: expect.any(String),
    });
    expect((await people.ben.rest.get('/api/rooms/pending').expect(200)).body as PendingRoom[]).toEqual([answer.room]);
    // Waiting is not being a member: no room, no live channel, no key.
    await people.ben.rest.get(`/api/rooms/${room.code}`).expect(404);
    expect(((await people.ben.rest.get('/api/rooms').expect(200)).body as RoomSummary[]).map((r) => r.code)).not.toContain(room.code);
    expect(await ask(ben, CHAT_EVENTS.enter, { code: room.code })).toMatchObject({ ok: false, error: { code: 'no-such-room' } });
    expect(await ask(ben, CHAT_EVENTS.keyRequest, { roomId: room.id })).toMatchObject({ ok: false, error: { code: 'no-such-room' } });
    const seen = await detail('ann');
    expect(seen.members.map((m) => m.id)).toEqual([people.ann.account.userId]);
    expect(seen.memberCount).toBe(1);
    expect(seen.pending).toEqual([request]);
    expect(seen.genesis).toMatchObject({ roomId: room.id, creatorId: people.ann.account.userId });
  });

  it('stores no key box for a pending joiner and makes no epoch that includes him', async () => {
    const forBen = await sealKeyBox({ roomId: room.id, epoch: 1, epochKey, recipientId: people.ben.account.userId, recipientEnc: (await importPublicKeys(people.ben.account.publicKeys)).enc, sharerId: people.ann.account.userId, sharerSig: people.ann.account.identity.sig.privateKey });
    expect(await ask(people.ann.socket!, CHAT_EVENTS.keyShare, { roomId: room.id, boxes: [forBen] })).toMatchObject({ ok: false, error: { code: 'not-admitted' } });
    const epoch2 = await generateEpochKey();
    const boxes = await Promise.all([people.ann.account, people.ben.account].map(async (to) => sealKeyBox({ roomId: room.id, epoch: 2, epochKey: epoch2, recipientId: to.userId, recipientEnc: (await importPublicKeys(to.publicKeys)).enc, sharerId: people.ann.account.userId, sharerSig: people.ann.account.identity.sig.privateKey })));
    expect(await ask(people.ann.socket!, CHAT_EVENTS.newEpoch, { roomId: room.id, epoch: 2, boxes, announcement: await announceEpoch({ roomId: room.id, epoch: 2, makerId: people.ann.account.userId, epochKey: epoch2, makerSig: people.ann.account.identity.sig.privateKey }) })).toMatchObject({ ok: false, error: { code: 'not-admitted' } });
    expect(await sql(server, `SELECT 1 FROM key_boxes WHERE recipient_id = $1`, [people.ben.account.userId])).toEqual([]);
  });

  it('admits him when a member signs his admission: he is told, becomes a member, and gets the key from a member', async () => {
    const ben = people.ben.socket!;
    const toBen = resolvedFor(ben, people.ben.account.userId);
    const toAnn = resolvedFor(people.ann.socket!, people.ben.account.userId);
    expect(await ask(people.ann.socket!, CHAT_EVENTS.admissionGrant, { roomId: room.id, admission: await admissionFor(room.id, people.ann.account, people.ben.account) })).toEqual({
      ok: true,
      result: { userId: people.ben.account.userId },
    });
    const resolved = { roomId: room.id, code: room.code, userId: people.ben.account.userId, outcome: 'admitted' };
    expect(await toBen).toEqual(resolved);
    expect(await toAnn).toEqual(resolved);
    expect((await people.ben.rest.get('/api/rooms/pending').expect(200)).body).toEqual([]);
    const seen = await detail('ben');
    expect(seen.members.map((m) => m.id).sort()).toEqual([people.ann.account.userId, people.ben.account.userId].sort());
    expect(seen.pending).toEqual([]);
    expect(seen.admissions).toEqual([expect.objectContaining({ memberId: people.ben.account.userId, admitterId: people.ann.account.userId, via: 'approval' })]);
    expect(await askToJoin(people.ben.rest, room.code)).toMatchObject({ status: 'member', room: { code: room.code, role: 'member' } });

    resultOf(await ask(ben, CHAT_EVENTS.enter, { code: room.code }));
    const requested = next<KeyRequested>(people.ann.socket!, CHAT_EVENTS.keyRequested);
    expect(resultOf(await ask(ben, CHAT_EVENTS.keyRequest, { roomId: room.id }))).toEqual({ waiting: true, epochs: [1] });
    const request = await requested;
    const forBen = await sealKeyBox({ roomId: room.id, epoch: 1, epochKey, recipientId: request.requesterId, recipientEnc: (await importPublicKeys(request.publicKeys)).enc, sharerId: people.ann.account.userId, sharerSig: people.ann.account.identity.sig.privateKey });
    expect(resultOf(await ask(people.ann.socket!, CHAT_EVENTS.keyShare, { roomId: room.id, boxes: [forBen] }))).toEqual({ stored: 1 });
    expect(await audit('room.join_requested', 'ben')).toEqual([{ details: { roomId: room.id, via: 'approval' } }]);
    expect(await audit('room.admitted', 'ann')).toEqual([{ details: { roomId: room.id, memberId: people.ben.account.userId, via: 'approval' } }]);
  });

  it('ends a request a member declines, and one the joiner withdraws; members are told', async () => {
    const cat = await online('cat');
    await askToJoin(people.cat.rest, room.code);
    const toCat = resolvedFor(cat, people.cat.account.userId);
    expect(resultOf(await ask(people.ben.socket!, CHAT_EVENTS.admissionDecline, { roomId: room.id, userId: people.cat.account.userId }))).toEqual({ userId: people.cat.account.userId });
    expect(await toCat).toEqual({ roomId: room.id, code: room.code, userId: people.cat.account.userId, outcome: 'declined' });
    expect((await people.cat.rest.get('/api/rooms/pending').expect(200)).body).toEqual([]);
    expect((await detail('ann')).pending).toEqual([]);
    expect(await ask(people.ann.socket!, CHAT_EVENTS.admissionDecline, { roomId: room.id, userId: people.cat.account.userId })).toMatchObject({
      ok: false,
      error: { code: 'invalid-payload', message: `${people.cat.account.userId} has not asked to join this room` },
    });
    expect(await ask(people.ann.socket!, CHAT_EVENTS.admissionGrant, { roomId: room.id, admission: await admissionFor(room.id, people.ann.account, people.cat.account) })).toMatchObject({
      ok: false,
      error: { code: 'invalid-payload' },
    });
    expect(await audit('room.join_declined', 'ben')).toEqual([{ details: { roomId: room.id, userId: people.cat.account.userId } }]);

    await askToJoin(people.dan.rest, room.code);
    const withdrawn = resolvedFor(people.ann.socket!, people.dan.account.userId);
    await people.dan.rest.post(`/api/rooms/${room.code}/join/cancel`).expect(204);
    expect((await withdrawn).outcome).toBe('declined');
    await people.dan.rest.post(`/api/rooms/${room.code}/join/cancel`).expect(404);
    await people.dan.rest.post(`/api/rooms/ZZZZ/join/cancel`).expect(404);
    // A non-member can neither decline nor grant.
    expect(await ask(cat, CHAT_EVENTS.admissionDecline, { roomId: room.id, userId: people.ben.account.userId })).toMatchObject({ ok: false, error: { code: 'no-such-room' } });
  });

  it('keeps a request while no member is online, and shows it to a member when they connect', async () => {
    for (const name of ['ann', 'ben'] as const) people[name].socket!.disconnect();
    await askToJoin(people.eve.rest, room.code);
    let shown!: Promise<JoinRequest>;
    await online('ann', (socket) => (shown = next<JoinRequest>(socket, CHAT_EVENTS.admissionRequested)));
    expect(await shown).toMatchObject({ roomId: room.id, userId: people.eve.account.userId, username: 'eve', via: 'approval' });
    await grantAdmission(people.ann.socket!, room.id, people.ann.account, people.eve.account);
    expect((await detail('eve')).members).toHaveLength(3);
  });

  it('keeps the admissions of members who left in the room (each stays a link in the chain)', async () => {
    await people.eve.rest.post(`/api/rooms/${room.code}/leave`).expect(204);
    const seen = await detail('ann');
    expect(seen.members.map((m) => m.id)).not.toContain(people.eve.account.userId);
    expect(seen.admissions.map((a) => a.memberId)).toContain(people.eve.account.userId);
  });
});

describe('invite links: the server enforces expiry, revocation and the use count; a member\u2019s browser checks the proof', () => {
  const secret = newInviteSecret();
  let id: string;
  let verifier: Uint8Array;

  const invite = async (overrides: object = {}) => {
    const s = newInviteSecret();
    const inviteId = await inviteIdFromSecret(s);
    const sealed = await sealVerifier({ roomId: room.id, epoch: 1, epochKey, verifierId: inviteId, verifier: await inviteVerifier(s) });
    return { id: inviteId, expiresAt: new Date(Date.now() + 86_400_000).toISOString(), maxUses: 1, sealed, ...overrides };
  };
  const withInvite = async (name: Name, inviteId: string, v: Uint8Array) => ({
    invite: { id: inviteId, proof: await joinProof(v, { code: room.code, joinerId: people[name].account.userId, joinerKeys: people[name].account.publicKeys }) },
  });

  it('lets a member create an invite with its sealed verifier, and lists it', async () => {
    id = await inviteIdFromSecret(secret);
    verifier = await inviteVerifier(secret);
    const sealed = await sealVerifier({ roomId: room.id, epoch: 1, epochKey, verifierId: id, verifier });
    const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const created = (await people.ben.rest.post(`/api/rooms/${room.code}/invites`, { id, expiresAt, maxUses: 2, sealed }).expect(201)).body as InviteSummary;
    expect(created).toEqual({ id, createdBy: people.ben.account.userId, createdAt: expect.any(String), expiresAt, maxUses: 2, uses: 0, revoked: false });
    expect((await people.ann.rest.get(`/api/rooms/${room.code}/invites`).expect(200)).body).toEqual([created]);
    await people.fay.rest.get(`/api/rooms/${room.code}/invites`).expect(404);
    await people.ben.rest.post(`/api/rooms/${room.code}/invites`, { id, expiresAt, maxUses: 2, sealed }).expect(409);
    expect(await audit('room.invite_created', 'ben')).toEqual([{ details: { roomId: room.id, inviteId: id, expiresAt, maxUses: 2 } }]);
  });

  it.each([
    ['an expiry in the past', { expiresAt: new Date(Date.now() - 1000).toISOString() }, /expiresAt must be in the future and at most 30 days ahead/],
    ['an expiry 31 days ahead', { expiresAt: new Date(Date.now() + 31 * 86_400_000).toISOString() }, /at most 30 days ahead/],
    ['no use', { maxUses: 0 }, /maxUses must be a whole number from 1 to 100/],
    ['101 uses', { maxUses: 101 }, /maxUses must be a whole number from 1 to 100/],
    ['no sealed verifier', { sealed: undefined }, /sealed must be a sealed verifier/],
    ['a sealed verifier of an epoch the room does not have', { sealed: { epoch: 9, iv: 'A'.repeat(16), ct: 'A'.repeat(64) } }, /sealed.epoch must be an epoch of this room \(1 to 1\)/],
    ['a malformed id', { id: 'not an id' }, /id must be an invite id/],
  ])('refuses an invite with %s (400)', async (_case, overrides, message) => {
    const res = await people.ann.rest.post(`/api/rooms/${room.code}/invites`, await invite(overrides)).expect(400);
    expect([res.body.message].flat().join('\n')).toMatch(message);
  });

  it('makes the joiner pending via the invite, counts the use, and a member admits after checking the proof', async () => {
    const asked = next<JoinRequest>(people.ann.socket!, CHAT_EVENTS.admissionRequested, (r) => r.userId === people.fay.account.userId);
    expect(await askToJoin(people.fay.rest, room.code, await withInvite('fay', id, verifier))).toMatchObject({ status: 'pending', room: { via: 'invite' } });
    const request = await asked;
    expect(request).toMatchObject({ via: 'invite', inviteId: id, proof: expect.any(String), sealed: { epoch: 1 } });
    // What the member's browser does: open the verifier with the epoch key it holds, check the proof for these keys.
    const opened = await openVerifier({ roomId: room.id, verifierId: request.inviteId!, sealed: request.sealed!, epochKey });
    expect(await checkJoinProof(opened, { code: room.code, joinerId: request.userId, joinerKeys: request.publicKeys }, request.proof)).toBe(true);
    await grantAdmission(people.ann.socket!, room.id, people.ann.account, { userId: request.userId, publicKeys: request.publicKeys }, 'invite');
    expect(((await people.ann.rest.get(`/api/rooms/${room.code}/invites`).expect(200)).body as InviteSummary[])[0]!.uses).toBe(1);
    // Asking again with the same invite while pending does not count twice.
    await askToJoin(people.gus.rest, room.code, await withInvite('gus', id, verifier));
    await askToJoin(people.gus.rest, room.code, await withInvite('gus', id, verifier));
    expect(((await people.ann.rest.get(`/api/rooms/${room.code}/invites`).expect(200)).body as InviteSummary[])[0]!.uses).toBe(2);
  });

  it('refuses an invite that is used up, expired or revoked (410 with the reason), and answers an unknown one as an unknown code', async () => {
    const usedUp = await people.hal.rest.post(`/api/rooms/${room.code}/join`, await withInvite('hal', id, verifier)).expect(410);
    expect(usedUp.body.message).toBe('This invite has been used 2 times, all it allowed: ask a member for a new one');

    const expiring = await invite();
    await people.ann.rest.post(`/api/rooms/${room.code}/invites`, expiring).expect(201);
    await sql(server, `UPDATE room_invites SET expires_at = now() - interval '1 second' WHERE id = $1`, [expiring.id]);
    expect((await people.hal.rest.post(`/api/rooms/${room.code}/join`, { invite: { id: expiring.id, proof: 'A'.repeat(43) + '=' } }).expect(410)).body.message).toBe(
      'This invite has expired: ask a member for a new one',
    );

    const revoked = await invite({ maxUses: 5 });
    await people.ben.rest.post(`/api/rooms/${room.code}/invites`, revoked).expect(201);
    expect((await people.ann.rest.post(`/api/rooms/${room.code}/invites/${revoked.id}/revoke`).expect(204)).status).toBe(204); // the owner may
    await people.ben.rest.post(`/api/rooms/${room.code}/invites/${revoked.id}/revoke`).expect(204); // twice changes nothing
    expect((await people.hal.rest.post(`/api/rooms/${room.code}/join`, { invite: { id: revoked.id, proof: 'A'.repeat(43) + '=' } }).expect(410)).body.message).toBe(
      'This invite was revoked: ask a member for a new one',
    );
    expect(await audit('room.invite_revoked', 'ann')).toEqual([{ details: { roomId: room.id, inviteId: revoked.id } }]);

    const unknown = { invite: { id: 'A'.repeat(22), proof: 'A'.repeat(43) + '=' } };
    const here = await people.hal.rest.post(`/api/rooms/${room.code}/join`, unknown).expect(404);
    const nowhere = await people.hal.rest.post(`/api/rooms/ZZZZ/join`, unknown).expect(404);
    expect(here.body).toEqual({ ...nowhere.body, message: nowhere.body.message.replace('ZZZZ', room.code) });
    expect((await people.hal.rest.get('/api/rooms/pending').expect(200)).body).toEqual([]);
  });

  it("lets only an invite's creator or the owner revoke it", async () => {
    const annInvite = await invite();
    await people.ann.rest.post(`/api/rooms/${room.code}/invites`, annInvite).expect(201);
    expect((await people.ben.rest.post(`/api/rooms/${room.code}/invites/${annInvite.id}/revoke`).expect(403)).body.message).toBe("Only an invite's creator or the room owner can revoke it");
    await people.ben.rest.post(`/api/rooms/${room.code}/invites/${'B'.repeat(22)}/revoke`).expect(404);
    await people.ben.rest.post(`/api/rooms/${room.code}/invites/short/revoke`).expect(400);
  });

  it('revokes every open invite when the owner removes a member (who could prove them from the verifiers they opened)', async () => {
    const open = await invite({ maxUses: 5 });
    await people.ben.rest.post(`/api/rooms/${room.code}/invites`, open).expect(201);
    await people.ann.rest.post(`/api/rooms/${room.code}/members/${people.fay.account.userId}/remove`).expect(204);
    const invites = (await people.ann.rest.get(`/api/rooms/${room.code}/invites`).expect(200)).body as InviteSummary[];
    expect(invites.find((i) => i.id === open.id)).toMatchObject({ revoked: true });
    expect(invites.filter((i) => !i.revoked)).toEqual([]);
    const verifierOfOpen = await openVerifier({ roomId: room.id, verifierId: open.id, sealed: open.sealed, epochKey });
    const back = { invite: { id: open.id, proof: await joinProof(verifierOfOpen, { code: room.code, joinerId: people.fay.account.userId, joinerKeys: people.fay.account.publicKeys }) } };
    expect((await people.fay.rest.post(`/api/rooms/${room.code}/join`, back).expect(410)).body.message).toBe('This invite was revoked: ask a member for a new one');
  });
});

describe('room passwords, end to end: the joinKey opens the gate, a member\u2019s browser checks the proof', () => {
  it('makes the joiner pending via the password, and a member admits after checking the proof with the sealed admitKey', async () => {
    const ivy = people.ivy;
    const owner = people.ann;
    const locked = await createRoom(server, owner, { name: 'Locked', withPassword: true, history: 'joined' });
    const lockedKey = await makeFirstEpoch(owner.socket!, locked.id, owner.account, [owner.account]);
    await people.ben.rest.put(`/api/rooms/${locked.code}/password`, { joinKey: 'A'.repeat(43) + '=', sealed: { epoch: 1, iv: 'A'.repeat(16), ct: 'A'.repeat(64) } }).expect(404);
    await setRoomPassword(owner.rest, locked, 'correct horse', { epoch: 1, epochKey: lockedKey });
    expect(await audit('room.password_set', 'ann')).toEqual([{ details: { roomId: locked.id } }]);

    const asked = next<JoinRequest>(owner.socket!, CHAT_EVENTS.admissionRequested, (r) => r.roomId === locked.id);
    expect(await askToJoin(ivy.rest, locked.code, await passwordJoin('correct horse', locked.code, ivy.account))).toMatchObject({ status: 'pending', room: { via: 'password' } });
    const request = await asked;
    expect(request).toMatchObject({ via: 'password', proof: expect.any(String), sealed: { epoch: 1 } });
    const admitKey = await openVerifier({ roomId: locked.id, verifierId: PASSWORD_VERIFIER_ID, sealed: request.sealed!, epochKey: lockedKey });
    expect(await checkJoinProof(admitKey, { code: locked.code, joinerId: request.userId, joinerKeys: request.publicKeys }, request.proof)).toBe(true);
    await grantAdmission(owner.socket!, locked.id, owner.account, ivy.account, 'password');
    expect((await detail('ivy', locked.code)).admissions).toEqual([expect.objectContaining({ memberId: ivy.account.userId, via: 'password' })]);

    // Only the owner sets it.
    const { joinKey } = await passwordJoin('another', locked.code, ivy.account);
    expect((await ivy.rest.put(`/api/rooms/${locked.code}/password`, { joinKey, sealed: request.sealed }).expect(403)).body.message).toBe('Only the room owner can set its password');
    expect((await owner.rest.put(`/api/rooms/${locked.code}/password`, { joinKey, sealed: { ...request.sealed, epoch: 2 } }).expect(400)).body.message).toBe('sealed.epoch must be an epoch of this room (1 to 1)');
  });
});

describe('admissions name the joiner\u2019s directory keys', () => {
  it('refuses an admission that names other keys than the joiner\u2019s, and leaves the request waiting', async () => {
    const jon = people.jon;
    expect(await askToJoin(jon.rest, room.code)).toMatchObject({ status: 'pending', room: { name: 'Approvals' } });
    const otherKeys = (await admissionFor(room.id, people.ann.account, people.ivy.account)).memberKeys;
    const admission = { ...(await admissionFor(room.id, people.ann.account, jon.account)), memberKeys: otherKeys };
    expect(await ask<Ack<unknown>>(people.ann.socket!, CHAT_EVENTS.admissionGrant, { roomId: room.id, admission })).toMatchObject({
      ok: false,
      error: { code: 'invalid-payload', message: `The admission of ${jon.account.userId} does not name their directory keys` },
    });
    expect((await detail('ann')).pending.map((r) => r.userId)).toContain(jon.account.userId);
  });
});

describe('a request never coexists with a membership, and only admitted members decide', () => {
  let races: RoomSummary;
  const requestRows = (name: Name) => sql(server, `SELECT via FROM room_join_requests WHERE room_id = $1 AND user_id = $2`, [races.id, people[name].account.userId]);

  beforeAll(async () => {
    races = await createRoom(server, people.ann, { name: 'Races', history: 'shared' });
  });

  it('refuses to admit, with a coded error, someone a request is left for who is a member already, and the request can still be declined', async () => {
    const cat = people.cat.account;
    await askToJoin(people.cat.rest, races.code);
    await grantAdmission(people.ann.socket!, races.id, people.ann.account, cat);
    // What a join request racing that admission stored before it re-checked membership under the locks.
    await sql(server, `INSERT INTO room_join_requests (room_id, user_id, via) VALUES ($1, $2, 'approval')`, [races.id, cat.userId]);
    expect(await ask(people.ann.socket!, CHAT_EVENTS.admissionGrant, { roomId: races.id, admission: await admissionFor(races.id, people.ann.account, cat) })).toMatchObject({
      ok: false,
      error: { code: 'invalid-payload', message: `${cat.userId} is a member of this room already: decline the request` },
    });
    const seen = await detail('cat', races.code);
    expect(seen.members.map((m) => m.id).sort()).toEqual([people.ann.account.userId, cat.userId].sort());
    expect(seen.admissions.filter((a) => a.memberId === cat.userId)).toHaveLength(1);
    // Asking again as a member answers 'member' and leaves the request alone; a member declines it.
    expect(await askToJoin(people.cat.rest, races.code)).toMatchObject({ status: 'member', room: { code: races.code, role: 'member' } });
    expect(resultOf(await ask(people.ann.socket!, CHAT_EVENTS.admissionDecline, { roomId: races.id, userId: cat.userId }))).toEqual({ userId: cat.userId });
    expect(await requestRows('cat')).toEqual([]);
    expect((await detail('cat', races.code)).members).toHaveLength(2);
  });

  it('answers "member", and stores no request, when an admission commits while the join waits for its locks', async () => {
    const dan = people.dan.account;
    const holder = new pg.Client({ connectionString: server.embeddedDatabaseUrl() });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`room-memberships:${dan.userId}`]);
      const asking = people.dan.rest.post(`/api/rooms/${races.code}/join`, {}).expect(200).then((res) => res.body);
      // Wait until the join has read "not a member" and waits on the lock an admission holds.
      for (let i = 0; ; i++) {
        const [{ n }] = (await holder.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).rows;
        if (n > 0) break;
        if (i > 200) throw new Error('the join request never waited for the membership lock');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await holder.query(`INSERT INTO room_members (room_id, user_id, role, joined_epoch) SELECT id, $2, 'member', current_epoch FROM rooms WHERE id = $1`, [races.id, dan.userId]);
      await holder.query('COMMIT');
      expect(await asking).toMatchObject({ status: 'member', room: { code: races.code, role: 'member' } });
    } finally {
      await holder.end();
    }
    expect(await requestRows('dan')).toEqual([]);
  });

  it('lets only an admitted member decline: a member no admission names is refused not-admitted', async () => {
    await sql(server, `INSERT INTO room_members (room_id, user_id, role, joined_epoch) SELECT id, $2, 'member', current_epoch FROM rooms WHERE id = $1`, [races.id, people.ben.account.userId]);
    await askToJoin(people.eve.rest, races.code);
    const answer = await withSocket(server, people.ben.account, (socket) => ask(socket, CHAT_EVENTS.admissionDecline, { roomId: races.id, userId: people.eve.account.userId }));
    expect(answer).toMatchObject({ ok: false, error: { code: 'not-admitted' } });
    expect(await requestRows('eve')).toEqual([{ via: 'approval' }]);
    expect(resultOf(await ask(people.ann.socket!, CHAT_EVENTS.admissionDecline, { roomId: races.id, userId: people.eve.account.userId }))).toEqual({ userId: people.eve.account.userId });
    expect(await requestRows('eve')).toEqual([]);
  });
});

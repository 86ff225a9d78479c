import { type Ack, type AdmissionVia, type CreateRoomRequest, type JoinResult, type JoinRoomRequest, PASSWORD_VERIFIER_ID, type PublicKeys, type RoomSummary } from '@conclave/contracts';
import { deriveRoomPassword, joinProof, sealVerifier, signAdmission, signGenesis } from '@conclave/crypto';
import type { Socket } from 'socket.io-client';
import type { Account, Client } from './accounts.js';
import type { Endpoint } from './server.js';
import { ask, CHAT_EVENTS, connect, connected, resultOf, sessionCookie } from './sockets.js';

/** Whom an admission names: a user and their directory keys. */
export type Member = Pick<Account, 'userId' | 'publicKeys'>;

/**
 * What the owner's browser does for a room without a genesis (docs/protocol.md, "Membership"):
 * signs the genesis and, for a room made before v2, an 'upgrade' admission for each other current
 * member. Resolves to the ids the server reports admitted.
 */
export async function signRoomGenesis(socket: Socket, roomId: string, owner: Account, upgrade: Member[] = []): Promise<string[]> {
  const genesis = await signGenesis({ roomId, creatorId: owner.userId, creatorKeys: owner.publicKeys, creatorSig: owner.identity.sig.privateKey });
  const admissions = await Promise.all(upgrade.map((member) => admissionFor(roomId, owner, member, 'upgrade')));
  return resultOf(await ask<Ack<{ admitted: string[] }>>(socket, CHAT_EVENTS.genesis, { roomId, genesis, admissions })).admitted;
}

/** An admission of `member` (to the keys given) signed by `admitter`, as an admitting browser makes it. */
export function admissionFor(roomId: string, admitter: Account, member: { userId: string; publicKeys: PublicKeys }, via: AdmissionVia = 'approval') {
  return signAdmission({ roomId, memberId: member.userId, memberKeys: member.publicKeys, admitterId: admitter.userId, via, admitterSig: admitter.identity.sig.privateKey });
}

/** An admitted member's browser admits a pending joiner. */
export async function grantAdmission(socket: Socket, roomId: string, admitter: Account, joiner: Member, via: AdmissionVia = 'approval'): Promise<void> {
  resultOf(await ask<Ack<{ userId: string }>>(socket, CHAT_EVENTS.admissionGrant, { roomId, admission: await admissionFor(roomId, admitter, joiner, via) }));
}

/** POST /api/rooms/:code/join, expecting 200; the JoinResult. */
export async function askToJoin(rest: Client, code: string, body: JoinRoomRequest = {}): Promise<JoinResult> {
  return (await rest.post(`/api/rooms/${code}/join`, body).expect(200)).body as JoinResult;
}

/**
 * A joiner asks by code alone and an admitted member's browser admits them: what "join" was before v2.
 * `admitterSocket` is the admitter's live socket; without one, a socket is opened for the admission only.
 */
export async function joinAndAdmit(
  server: Endpoint,
  joiner: { account: Account; rest: Client },
  room: { id: string; code: string },
  admitter: { account: Account; socket?: Socket },
): Promise<void> {
  const answer = await askToJoin(joiner.rest, room.code);
  if (answer.status !== 'pending') throw new Error(`${joiner.account.username} is a member of ${room.code} already`);
  const grant = (socket: Socket) => grantAdmission(socket, room.id, admitter.account, joiner.account);
  await (admitter.socket ? grant(admitter.socket) : withSocket(server, admitter.account, grant));
}

/** Runs `work` on a socket of `account` opened for it, closed after. */
export async function withSocket<T>(server: Endpoint, account: Account, work: (socket: Socket) => Promise<T>): Promise<T> {
  const socket = connect(server, await sessionCookie(server, account));
  try {
    await connected(socket);
    return await work(socket);
  } finally {
    socket.disconnect();
  }
}

/** Creates a room as its owner's browser does: POST /api/rooms, then the signed genesis (on a socket opened for it unless one is given). */
export async function createRoom(server: Endpoint, owner: { account: Account; rest: Client; socket?: Socket }, body: CreateRoomRequest): Promise<RoomSummary> {
  const room = (await owner.rest.post('/api/rooms', body).expect(201)).body as RoomSummary;
  const sign = (socket: Socket) => signRoomGenesis(socket, room.id, owner.account);
  await (owner.socket ? sign(owner.socket) : withSocket(server, owner.account, sign));
  return room;
}

/**
 * What the owner's browser does to give a room a password (docs/protocol.md, "Room password"):
 * derives joinKey and admitKey from the password and the code, seals admitKey under an epoch key
 * the members hold, and PUTs both. Resolves to the derived keys (a joiner derives the same).
 */
export async function setRoomPassword(owner: Client, room: { id: string; code: string }, password: string, epoch: { epoch: number; epochKey: CryptoKey }) {
  const keys = await deriveRoomPassword(password, room.code);
  const sealed = await sealVerifier({ roomId: room.id, epoch: epoch.epoch, epochKey: epoch.epochKey, verifierId: PASSWORD_VERIFIER_ID, verifier: keys.admitKey });
  await owner.put(`/api/rooms/${room.code}/password`, { joinKey: keys.joinKey, sealed }).expect(204);
  return keys;
}

/** The join request of a password room: joinKey for the server's gate, the proof for a member's browser. */
export async function passwordJoin(password: string, code: string, joiner: Member): Promise<JoinRoomRequest> {
  const { joinKey, admitKey } = await deriveRoomPassword(password, code);
  return { joinKey, proof: await joinProof(admitKey, { code, joinerId: joiner.userId, joinerKeys: joiner.publicKeys }) };
}

import { ADMISSION_VIAS, type Admission, type AdmissionVia, type PublicKeys, type RoomGenesis } from '@conclave/contracts';
import { InvalidInputError, SignatureError } from './errors.js';
import { canonical, fromBase64, toBase64 } from './encoding.js';
import { V1 } from './labels.js';
import { signFields, verifyFields } from './signature.js';
import { checkId } from './validate.js';
import { subtle } from './webcrypto.js';

/**
 * What an admission or a genesis names of a member's identity (docs/protocol.md, "Membership"):
 * base64(SHA-256(canonical("conclave/v1/keys", userId, enc SPKI bytes, sig SPKI bytes))).
 * Bound to the user, so one user's keys cannot stand for another's. (The contact book's keysDigest
 * is a different, older digest and stays as it is.)
 */
export async function memberKeysDigest(userId: string, keys: PublicKeys): Promise<string> {
  const fields = canonical(V1.memberKeys, checkId(userId, 'userId'), fromBase64(keys?.enc, 'enc public key'), fromBase64(keys?.sig, 'sig public key'));
  return toBase64(await subtle().digest('SHA-256', fields));
}

export interface SignGenesisInput {
  roomId: string;
  creatorId: string;
  creatorKeys: PublicKeys;
  /** The creator's private sig key. */
  creatorSig: CryptoKey;
}

/** The room's root of trust: sig = ECDSA(creator.sig, canonical("conclave/v1/room", roomId, creatorId, memberKeysDigest(creator))). */
export async function signGenesis(input: SignGenesisInput): Promise<RoomGenesis> {
  const roomId = checkId(input.roomId, 'roomId');
  const creatorId = checkId(input.creatorId, 'creatorId');
  const creatorKeys = await memberKeysDigest(creatorId, input.creatorKeys);
  const sig = await signFields(input.creatorSig, canonical(V1.genesis, roomId, creatorId, creatorKeys), 'creatorSig');
  return { roomId, creatorId, creatorKeys, sig };
}

/**
 * Throws SignatureError unless `genesis` was signed by the holder of `creatorKeys` and names exactly
 * those keys (their memberKeysDigest is genesis.creatorKeys).
 */
export async function verifyGenesis(genesis: RoomGenesis, creatorKeys: PublicKeys): Promise<void> {
  if (typeof genesis !== 'object' || genesis === null) throw new InvalidInputError('a genesis must be an object');
  const roomId = checkId(genesis.roomId, 'roomId');
  const creatorId = checkId(genesis.creatorId, 'creatorId');
  checkDigest(genesis.creatorKeys, 'creatorKeys');
  if ((await memberKeysDigest(creatorId, creatorKeys)) !== genesis.creatorKeys) {
    throw new SignatureError(`the genesis of room ${roomId} names other keys than ${creatorId}'s`);
  }
  await verifyFields(creatorKeys, canonical(V1.genesis, roomId, creatorId, genesis.creatorKeys), genesis.sig, `the genesis of room ${roomId} is not signed by ${creatorId}`);
}

export interface SignAdmissionInput {
  roomId: string;
  memberId: string;
  /** The member's directory keys: boxes may be wrapped to these only. */
  memberKeys: PublicKeys;
  admitterId: string;
  via: AdmissionVia;
  /** Milliseconds since 1970; now unless given. */
  admittedAt?: number;
  /** The admitter's private sig key. */
  admitterSig: CryptoKey;
}

/**
 * An admitted member admits another:
 * sig = ECDSA(admitter.sig, canonical("conclave/v1/admit", roomId, memberId, memberKeysDigest(member), admitterId, via, admittedAt)).
 */
export async function signAdmission(input: SignAdmissionInput): Promise<Admission> {
  const roomId = checkId(input.roomId, 'roomId');
  const memberId = checkId(input.memberId, 'memberId');
  const admitterId = checkId(input.admitterId, 'admitterId');
  const via = checkVia(input.via);
  const admittedAt = checkTime(input.admittedAt ?? Date.now());
  const memberKeys = await memberKeysDigest(memberId, input.memberKeys);
  const sig = await signFields(input.admitterSig, admissionFields({ roomId, memberId, memberKeys, admitterId, via, admittedAt }), 'admitterSig');
  return { roomId, memberId, memberKeys, admitterId, via, admittedAt, sig };
}

/**
 * Throws SignatureError unless `admission` was signed by the holder of `admitterKeys` (the
 * admitter's directory keys). Whether the admitter may admit, and whether memberKeys are the
 * member's keys, is the caller's question (admittedMembers answers both).
 */
export async function verifyAdmission(admission: Admission, admitterKeys: PublicKeys): Promise<void> {
  if (typeof admission !== 'object' || admission === null) throw new InvalidInputError('an admission must be an object');
  const fields = admissionFields({
    roomId: checkId(admission.roomId, 'roomId'),
    memberId: checkId(admission.memberId, 'memberId'),
    memberKeys: checkDigest(admission.memberKeys, 'memberKeys'),
    admitterId: checkId(admission.admitterId, 'admitterId'),
    via: checkVia(admission.via),
    admittedAt: checkTime(admission.admittedAt),
  });
  await verifyFields(admitterKeys, fields, admission.sig, `the admission of ${admission.memberId} is not signed by ${admission.admitterId}`);
}

function admissionFields(a: Omit<Admission, 'sig'>): Uint8Array<ArrayBuffer> {
  return canonical(V1.admission, a.roomId, a.memberId, a.memberKeys, a.admitterId, a.via, a.admittedAt);
}

function checkVia(via: unknown): AdmissionVia {
  if (!ADMISSION_VIAS.includes(via as AdmissionVia)) throw new InvalidInputError(`via must be one of ${ADMISSION_VIAS.join(', ')}`);
  return via as AdmissionVia;
}

function checkTime(ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0) throw new InvalidInputError('admittedAt must be milliseconds since 1970 (a non-negative integer)');
  return ms;
}

/** A key digest or commitment: base64 of 32 bytes. */
export function checkDigest(value: unknown, field: string): string {
  if (fromBase64(value, field).length !== 32) throw new InvalidInputError(`${field} must be 32 bytes`);
  return value as string;
}

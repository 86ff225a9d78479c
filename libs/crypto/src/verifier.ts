import type { PublicKeys, SealedVerifier } from '@conclave/contracts';
import { DecryptionError, InvalidInputError } from './errors.js';
import { canonical, constantTimeEqual, fromBase64, toBase64 } from './encoding.js';
import { IV_BYTES, V1 } from './labels.js';
import { memberKeysDigest } from './membership.js';
import { checkRoomCode } from './room-password.js';
import { checkEpoch, checkId } from './validate.js';
import { attempt, randomBytes, subtle } from './webcrypto.js';

const VERIFIER_BYTES = 32;

export interface SealVerifierInput {
  roomId: string;
  /** The epoch whose key seals it (the room's current one). */
  epoch: number;
  epochKey: CryptoKey;
  /** The invite id, or PASSWORD_VERIFIER_ID for the room password's admitKey. */
  verifierId: string;
  /** 32 bytes: inviteVerifier(secret) or deriveRoomPassword(…).admitKey. */
  verifier: Uint8Array;
}

/**
 * A verifier key kept on the server for members only (docs/protocol.md, "Invites"): AES-256-GCM under
 * the epoch key, random IV, AAD canonical("conclave/v1/verifier", roomId, epoch, verifierId), so it
 * opens only for that room, epoch and invite (or the password).
 */
export async function sealVerifier(input: SealVerifierInput): Promise<SealedVerifier> {
  return sealVerifierWithIv(input, randomBytes(IV_BYTES));
}

/** @internal Deterministic core of sealVerifier, for the test vectors. Never reuse an IV. */
export async function sealVerifierWithIv(input: SealVerifierInput, iv: Uint8Array<ArrayBuffer>): Promise<SealedVerifier> {
  const epoch = checkEpoch(input.epoch);
  const aad = verifierAad(input.roomId, epoch, input.verifierId);
  const verifier = checkVerifier(input.verifier);
  const ct = await attempt(
    () => subtle().encrypt({ name: 'AES-GCM', iv, additionalData: aad }, input.epochKey, verifier),
    (cause) => new InvalidInputError('epochKey cannot seal (an AES-GCM epoch key is needed)', { cause }),
  );
  return { epoch, iv: toBase64(iv), ct: toBase64(ct) };
}

export interface OpenVerifierInput {
  roomId: string;
  verifierId: string;
  sealed: SealedVerifier;
  /** The key of epoch sealed.epoch. */
  epochKey: CryptoKey;
}

/** The verifier key back; DecryptionError when sealed for another room, epoch or verifier id, under another key, or altered. */
export async function openVerifier(input: OpenVerifierInput): Promise<Uint8Array<ArrayBuffer>> {
  const { sealed } = input;
  if (typeof sealed !== 'object' || sealed === null) throw new InvalidInputError('a sealed verifier must be an object');
  const aad = verifierAad(input.roomId, checkEpoch(sealed.epoch), input.verifierId);
  const iv = fromBase64(sealed.iv, 'sealed verifier iv');
  if (iv.length !== IV_BYTES) throw new InvalidInputError(`sealed verifier iv must be ${IV_BYTES} bytes`);
  const ct = fromBase64(sealed.ct, 'sealed verifier ct');
  if (ct.length !== VERIFIER_BYTES + 16) throw new InvalidInputError(`sealed verifier ct must be ${VERIFIER_BYTES + 16} bytes`);
  const plaintext = await attempt(
    () => subtle().decrypt({ name: 'AES-GCM', iv, additionalData: aad }, input.epochKey, ct),
    (cause) => new DecryptionError(`the verifier ${input.verifierId} cannot be opened with this epoch key: another room, epoch or verifier, or altered`, { cause }),
  );
  return new Uint8Array(plaintext);
}

export interface JoinProofInput {
  /** The room code the joiner used (what the joiner knows; not the room id). */
  code: string;
  joinerId: string;
  /** The joiner's directory keys: the proof binds them, so it cannot be replayed for other keys. */
  joinerKeys: PublicKeys;
}

/** base64(HMAC-SHA256(verifier, canonical("conclave/v1/join", CODE, joinerId, memberKeysDigest(joinerId, joinerKeys)))). */
export async function joinProof(verifier: Uint8Array, input: JoinProofInput): Promise<string> {
  return toBase64(await proofBytes(verifier, input));
}

/**
 * Whether `proof` was made with `verifier` for this code, joiner and keys (constant-time compare).
 * A malformed proof is simply not valid.
 */
export async function checkJoinProof(verifier: Uint8Array, input: JoinProofInput, proof: unknown): Promise<boolean> {
  const expected = await proofBytes(verifier, input);
  let given: Uint8Array;
  try {
    given = fromBase64(proof, 'proof');
  } catch {
    return false;
  }
  return constantTimeEqual(expected, given);
}

async function proofBytes(verifier: Uint8Array, input: JoinProofInput): Promise<Uint8Array> {
  const code = checkRoomCode(input?.code);
  const joinerId = checkId(input.joinerId, 'joinerId');
  const digest = await memberKeysDigest(joinerId, input.joinerKeys);
  const wc = subtle();
  const mac = await wc.importKey('raw', checkVerifier(verifier), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await wc.sign('HMAC', mac, canonical(V1.joinProof, code, joinerId, digest)));
}

function verifierAad(roomId: string, epoch: number, verifierId: string): Uint8Array<ArrayBuffer> {
  return canonical(V1.verifierAad, checkId(roomId, 'roomId'), epoch, checkId(verifierId, 'verifierId'));
}

function checkVerifier(verifier: unknown): Uint8Array<ArrayBuffer> {
  if (!(verifier instanceof Uint8Array) || verifier.length !== VERIFIER_BYTES) throw new InvalidInputError(`a verifier key must be ${VERIFIER_BYTES} bytes`);
  return new Uint8Array(verifier);
}

import type { EpochAnnouncement, PublicKeys } from '@conclave/contracts';
import { InvalidInputError } from './errors.js';
import { canonical, constantTimeEqual, fromBase64, toBase64 } from './encoding.js';
import { V1 } from './labels.js';
import { checkDigest } from './membership.js';
import { signFields, verifyFields } from './signature.js';
import { checkEpoch, checkId } from './validate.js';
import { attempt, subtle } from './webcrypto.js';

/**
 * An epoch key's commitment (docs/protocol.md, "Key commitment"):
 * base64(HMAC-SHA256(raw epoch key, canonical("conclave/v1/epoch-commit", roomId, epoch))).
 * It reveals nothing of the key, and no second key matches it.
 */
export async function epochCommitment(epochKey: CryptoKey, roomId: string, epoch: number): Promise<string> {
  return toBase64(await commitmentBytes(epochKey, checkId(roomId, 'roomId'), checkEpoch(epoch)));
}

export interface AnnounceEpochInput {
  roomId: string;
  epoch: number;
  makerId: string;
  epochKey: CryptoKey;
  /** The maker's private sig key. */
  makerSig: CryptoKey;
}

/** The maker's signed commitment: sig = ECDSA(maker.sig, canonical("conclave/v1/epoch", roomId, epoch, makerId, commit)). */
export async function announceEpoch(input: AnnounceEpochInput): Promise<EpochAnnouncement> {
  const roomId = checkId(input.roomId, 'roomId');
  const epoch = checkEpoch(input.epoch);
  const makerId = checkId(input.makerId, 'makerId');
  const commit = await epochCommitment(input.epochKey, roomId, epoch);
  const sig = await signFields(input.makerSig, canonical(V1.epochAnnouncement, roomId, epoch, makerId, commit), 'makerSig');
  return { roomId, epoch, makerId, commit, sig };
}

/** Throws SignatureError unless the announcement was signed by the holder of `makerKeys` (the maker's directory keys). */
export async function verifyEpochAnnouncement(announcement: EpochAnnouncement, makerKeys: PublicKeys): Promise<void> {
  if (typeof announcement !== 'object' || announcement === null) throw new InvalidInputError('an epoch announcement must be an object');
  const roomId = checkId(announcement.roomId, 'roomId');
  const epoch = checkEpoch(announcement.epoch);
  const makerId = checkId(announcement.makerId, 'makerId');
  const commit = checkDigest(announcement.commit, 'commit');
  await verifyFields(makerKeys, canonical(V1.epochAnnouncement, roomId, epoch, makerId, commit), announcement.sig, `the announcement of epoch ${epoch} is not signed by ${makerId}`);
}

/**
 * Whether `epochKey` is the key the announcement commits to (for its room and epoch). Checks the
 * commitment only: verify the announcement's signature (verifyEpochAnnouncement) as well.
 */
export async function keyMatchesCommitment(epochKey: CryptoKey, announcement: EpochAnnouncement): Promise<boolean> {
  const expected = fromBase64(checkDigest(announcement?.commit, 'commit'), 'commit');
  return constantTimeEqual(await commitmentBytes(epochKey, checkId(announcement.roomId, 'roomId'), checkEpoch(announcement.epoch)), expected);
}

async function commitmentBytes(epochKey: CryptoKey, roomId: string, epoch: number): Promise<Uint8Array> {
  const wc = subtle();
  const raw = await attempt(
    () => wc.exportKey('raw', epochKey),
    (cause) => new InvalidInputError('epochKey must be an extractable AES-GCM epoch key', { cause }),
  );
  const mac = await wc.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await wc.sign('HMAC', mac, canonical(V1.epochCommit, roomId, epoch)));
}

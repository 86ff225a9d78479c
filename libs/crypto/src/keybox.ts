import type { KeyBox } from '@conclave/contracts';
import { DecryptionError, InvalidInputError, SignatureError, WrongRecipientError } from './errors.js';
import { canonical, fromBase64, toBase64 } from './encoding.js';
import { V1 } from './labels.js';
import { checkEpoch, checkId } from './validate.js';
import { attempt, subtle } from './webcrypto.js';

const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;
const AES_GCM_256 = { name: 'AES-GCM', length: 256 } as const;

/**
 * A new room epoch key (AES-256-GCM). Extractable by necessity: any member holding it may wrap it
 * for a joiner (docs/protocol.md §8).
 */
export async function generateEpochKey(): Promise<CryptoKey> {
  return attempt(
    () => subtle().generateKey(AES_GCM_256, true, ['encrypt', 'decrypt']),
    (cause) => new InvalidInputError('epoch key generation failed', { cause }),
  );
}

export interface SealKeyBoxInput {
  roomId: string;
  epoch: number;
  epochKey: CryptoKey;
  recipientId: string;
  /** The recipient's public enc key (importPublicKeys). */
  recipientEnc: CryptoKey;
  sharerId: string;
  /** The sharer's private sig key (openKeyBackup). */
  sharerSig: CryptoKey;
}

/** wrapped = RSA-OAEP(recipient.enc, raw epoch key); sig = ECDSA(sharer.sig, canonical(label, fields…, wrapped)). */
export async function sealKeyBox(input: SealKeyBoxInput): Promise<KeyBox> {
  const roomId = checkId(input.roomId, 'roomId');
  const epoch = checkEpoch(input.epoch);
  const recipientId = checkId(input.recipientId, 'recipientId');
  const sharerId = checkId(input.sharerId, 'sharerId');
  const wc = subtle();
  const wrapped = new Uint8Array(
    await attempt(
      () => wc.wrapKey('raw', input.epochKey, input.recipientEnc, { name: 'RSA-OAEP' }),
      (cause) => new InvalidInputError('cannot wrap: needs an extractable AES key and the recipient’s public RSA-OAEP key', { cause }),
    ),
  );
  const sig = await attempt(
    () => wc.sign(ECDSA_SHA256, input.sharerSig, canonical(V1.keyBox, roomId, epoch, recipientId, sharerId, wrapped)),
    (cause) => new InvalidInputError('cannot sign: sharerSig must be the sharer’s private ECDSA P-256 key', { cause }),
  );
  return { roomId, epoch, recipientId, sharerId, wrapped: toBase64(wrapped), sig: toBase64(sig) };
}

/** Throws SignatureError unless `box` was signed by the holder of `sharerSig` (a public key). */
export async function verifyKeyBox(box: KeyBox, sharerSig: CryptoKey): Promise<void> {
  if (typeof box !== 'object' || box === null) throw new InvalidInputError('a key box must be an object');
  const wrapped = fromBase64(box.wrapped, 'wrapped');
  const fields = canonical(V1.keyBox, checkId(box.roomId, 'roomId'), checkEpoch(box.epoch), checkId(box.recipientId, 'recipientId'), checkId(box.sharerId, 'sharerId'), wrapped);
  const signature = fromBase64(box.sig, 'sig');
  const valid = await attempt(
    () => subtle().verify(ECDSA_SHA256, sharerSig, signature, fields),
    () => new SignatureError(`key box for epoch ${box.epoch} has an unusable signature`),
  );
  if (!valid) throw new SignatureError(`key box for epoch ${box.epoch} is not signed by its sharer ${box.sharerId}`);
}

export interface OpenKeyBoxInput {
  /** Who is opening: must be the box's recipient. */
  recipientId: string;
  /** The recipient's private enc key (openKeyBackup). */
  recipientEnc: CryptoKey;
  /** The sharer's public sig key, from the key directory (importPublicKeys). */
  sharerSig: CryptoKey;
}

/**
 * Checks the recipient, then the sharer's signature, then unwraps: a box is only accepted when the
 * signature verifies. The epoch key comes back extractable, so this member can share it onward.
 */
export async function openKeyBox(box: KeyBox, input: OpenKeyBoxInput): Promise<CryptoKey> {
  if (typeof box !== 'object' || box === null) throw new InvalidInputError('a key box must be an object');
  if (box.recipientId !== input.recipientId) throw new WrongRecipientError(input.recipientId, String(box.recipientId));
  await verifyKeyBox(box, input.sharerSig);
  return attempt(
    () => subtle().unwrapKey('raw', fromBase64(box.wrapped, 'wrapped'), input.recipientEnc, { name: 'RSA-OAEP' }, AES_GCM_256, true, ['encrypt', 'decrypt']),
    (cause) => new DecryptionError('the key box cannot be unwrapped with this private key', { cause }),
  );
}

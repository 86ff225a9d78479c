import type { PublicKeys } from '@conclave/contracts';
import { InvalidInputError, SignatureError } from './errors.js';
import { fromBase64, toBase64 } from './encoding.js';
import { attempt, subtle } from './webcrypto.js';

const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;
const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** ECDSA P-256/SHA-256 over `data` with a private sig key, as base64 (64 bytes r‖s). */
export async function signFields(signer: CryptoKey, data: Uint8Array<ArrayBuffer>, signerName: string): Promise<string> {
  const sig = await attempt(
    () => subtle().sign(ECDSA_SHA256, signer, data),
    (cause) => new InvalidInputError(`cannot sign: ${signerName} must be a private ECDSA P-256 key`, { cause }),
  );
  return toBase64(sig);
}

/**
 * Throws SignatureError unless `sig` (base64) is a signature of `data` by the holder of `keys.sig`.
 * Only the sig half is imported: the enc half is bound in by the key digest, not used here.
 */
export async function verifyFields(keys: PublicKeys, data: Uint8Array<ArrayBuffer>, sig: unknown, failure: string): Promise<void> {
  const wc = subtle();
  const publicKey = await attempt(
    () => wc.importKey('spki', fromBase64(keys?.sig, 'sig public key'), ECDSA_P256, false, ['verify']),
    (cause) => new InvalidInputError('sig is not an ECDSA P-256 public key (SPKI)', { cause }),
  );
  const signature = fromBase64(sig, 'sig');
  const valid = await attempt(
    () => wc.verify(ECDSA_SHA256, publicKey, signature, data),
    () => new SignatureError(`${failure} (unusable signature)`),
  );
  if (!valid) throw new SignatureError(failure);
}

import type { PublicKeys } from '@conclave/contracts';
import { concat, fromBase64, utf8 } from './encoding.js';
import { V1 } from './labels.js';
import { checkId } from './validate.js';
import { subtle } from './webcrypto.js';

export interface IdentityRef {
  userId: string;
  publicKeys: PublicKeys;
}

/**
 * A user's fingerprint, 30 digits (Signal's numeric fingerprint): with key = enc SPKI ‖ sig SPKI,
 * hash = version(uint16 BE, 1) ‖ key ‖ utf8(userId), then 5,200 times hash = SHA-512(hash ‖ key);
 * the first 30 bytes as six 5-byte big-endian numbers, each mod 100000, as 5 zero-padded digits.
 */
export async function fingerprint({ userId, publicKeys }: IdentityRef): Promise<string> {
  const key = concat(fromBase64(publicKeys?.enc, 'enc public key'), fromBase64(publicKeys?.sig, 'sig public key'));
  const version = new Uint8Array([V1.fingerprintVersion >> 8, V1.fingerprintVersion & 0xff]);
  let hash = concat(version, key, utf8(checkId(userId, 'userId')));
  const wc = subtle();
  for (let i = 0; i < V1.fingerprintIterations; i++) hash = new Uint8Array(await wc.digest('SHA-512', concat(hash, key)));
  let digits = '';
  for (let chunk = 0; chunk < 6; chunk++) {
    let value = 0;
    for (let i = 0; i < 5; i++) value = value * 256 + hash[chunk * 5 + i]!;
    digits += String(value % 100_000).padStart(5, '0');
  }
  return digits;
}

/**
 * The safety number of two users: both fingerprints, the smaller first, so it reads the same on
 * both sides; 60 digits. It changes when either user's keys change.
 */
export async function safetyNumber(a: IdentityRef, b: IdentityRef): Promise<string> {
  const [fa, fb] = await Promise.all([fingerprint(a), fingerprint(b)]);
  return fa < fb ? fa + fb : fb + fa;
}

/** 60 digits as 12 groups of 5, the way people read them aloud. */
export function formatSafetyNumber(digits: string): string[] {
  return digits.match(/\d{5}/g) ?? [];
}

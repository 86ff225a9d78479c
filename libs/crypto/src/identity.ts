import type { KeyBackup, PublicKeys } from '@conclave/contracts';
import { DecryptionError, InvalidInputError } from './errors.js';
import { fromBase64, toBase64, utf8, utf8Decode } from './encoding.js';
import { IV_BYTES, RSA_BITS, V1 } from './labels.js';
import { checkId } from './validate.js';
import { attempt, randomBytes, subtle } from './webcrypto.js';

const RSA_OAEP = { name: 'RSA-OAEP', hash: 'SHA-256' } as const;
const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** Freshly generated key pairs: extractable, only long enough to seal the backup and export the public halves. */
export interface NewIdentity {
  enc: CryptoKeyPair;
  sig: CryptoKeyPair;
}

/** A user's private keys as the client keeps them: non-extractable CryptoKeys (store them in IndexedDB). */
export interface PrivateIdentity {
  enc: CryptoKey;
  sig: CryptoKey;
}

/** Another user's (or one's own) public keys, imported and checked. */
export interface PublicIdentity {
  enc: CryptoKey;
  sig: CryptoKey;
}

/** RSA-OAEP-4096/SHA-256 `enc` and ECDSA P-256 `sig`. RSA-4096 generation takes seconds: show progress. */
export async function generateIdentity(): Promise<NewIdentity> {
  const wc = subtle();
  return attempt(
    async () => {
      const [enc, sig] = await Promise.all([
        wc.generateKey({ ...RSA_OAEP, modulusLength: RSA_BITS, publicExponent: new Uint8Array([1, 0, 1]) }, true, [
          'encrypt',
          'decrypt',
          'wrapKey',
          'unwrapKey',
        ]),
        wc.generateKey(ECDSA_P256, true, ['sign', 'verify']),
      ]);
      return { enc, sig };
    },
    (cause) => new InvalidInputError('key generation failed', { cause }),
  );
}

export async function exportPublicKeys(identity: NewIdentity): Promise<PublicKeys> {
  const wc = subtle();
  const [enc, sig] = await Promise.all([wc.exportKey('spki', identity.enc.publicKey), wc.exportKey('spki', identity.sig.publicKey)]);
  return { enc: toBase64(enc), sig: toBase64(sig) };
}

/**
 * Imports a user's public keys, refusing anything but RSA-OAEP 4096/65537 and ECDSA P-256 so a
 * server cannot hand out a weaker key in someone's name.
 */
export async function importPublicKeys(keys: PublicKeys): Promise<PublicIdentity> {
  const wc = subtle();
  const enc = await attempt(
    () => wc.importKey('spki', fromBase64(keys?.enc, 'enc public key'), RSA_OAEP, true, ['encrypt', 'wrapKey']),
    (cause) => new InvalidInputError('enc is not an RSA-OAEP public key (SPKI)', { cause }),
  );
  const rsa = enc.algorithm as RsaHashedKeyAlgorithm;
  if (rsa.modulusLength !== RSA_BITS || toBase64(rsa.publicExponent) !== 'AQAB') {
    throw new InvalidInputError(`enc must be a ${RSA_BITS}-bit RSA key with exponent 65537 (got ${rsa.modulusLength} bits)`);
  }
  const sig = await attempt(
    () => wc.importKey('spki', fromBase64(keys?.sig, 'sig public key'), ECDSA_P256, true, ['verify']),
    (cause) => new InvalidInputError('sig is not an ECDSA P-256 public key (SPKI)', { cause }),
  );
  return { enc, sig };
}

/** Seals both private keys (PKCS#8) with wrapKey: AES-256-GCM, random IV, AAD bound to the user. */
export async function sealKeyBackup(identity: NewIdentity, wrapKey: CryptoKey, userId: string): Promise<KeyBackup> {
  return sealKeyBackupWithIv(identity, wrapKey, userId, randomBytes(IV_BYTES));
}

/** @internal Deterministic core of sealKeyBackup, for the test vectors. Never reuse an IV. */
export async function sealKeyBackupWithIv(identity: NewIdentity, wrapKey: CryptoKey, userId: string, iv: Uint8Array<ArrayBuffer>): Promise<KeyBackup> {
  const wc = subtle();
  const [enc, sig] = await attempt(
    () => Promise.all([wc.exportKey('pkcs8', identity.enc.privateKey), wc.exportKey('pkcs8', identity.sig.privateKey)]),
    (cause) => new InvalidInputError('the identity private keys must be extractable to be backed up', { cause }),
  );
  return sealPkcs8Backup({ enc: new Uint8Array(enc), sig: new Uint8Array(sig) }, wrapKey, userId, iv);
}

/** @internal The backup of given PKCS#8 bytes (browsers and Node may encode the same key differently). */
export async function sealPkcs8Backup(pkcs8: { enc: Uint8Array; sig: Uint8Array }, wrapKey: CryptoKey, userId: string, iv: Uint8Array<ArrayBuffer>): Promise<KeyBackup> {
  const plaintext = utf8(JSON.stringify({ v: 1, enc: toBase64(pkcs8.enc), sig: toBase64(pkcs8.sig) }));
  const ct = await attempt(
    () => subtle().encrypt({ name: 'AES-GCM', iv, additionalData: backupAad(userId) }, wrapKey, plaintext),
    (cause) => new InvalidInputError('wrapKey cannot seal (is it the AES-GCM key from deriveAccountKeys?)', { cause }),
  );
  return { v: 1, iv: toBase64(iv), ct: toBase64(ct) };
}

/**
 * Opens the backup into non-extractable CryptoKeys. A wrong password (so a wrong wrapKey), a backup
 * of another user, or any altered byte gives a DecryptionError.
 */
export async function openKeyBackup(backup: KeyBackup, wrapKey: CryptoKey, userId: string): Promise<PrivateIdentity> {
  return importBackupKeys(await backupContent(backup, wrapKey, userId));
}

/** The backup's private keys as non-extractable CryptoKeys (so also a check of their kind). */
async function importBackupKeys(keys: { enc?: unknown; sig?: unknown }): Promise<PrivateIdentity> {
  const wc = subtle();
  const [enc, sig] = await attempt(
    () =>
      Promise.all([
        wc.importKey('pkcs8', fromBase64(keys.enc, 'backup enc key'), RSA_OAEP, false, ['decrypt', 'unwrapKey']),
        wc.importKey('pkcs8', fromBase64(keys.sig, 'backup sig key'), ECDSA_P256, false, ['sign']),
      ]),
    (cause) => new InvalidInputError('the key backup holds keys of the wrong kind', { cause }),
  );
  return { enc, sig };
}

/**
 * The backup sealed again under a new password's wrapKey, with a fresh IV (a password change). The
 * backup's own PKCS#8 bytes are carried over: a browser holds its keys non-extractable and could not
 * export them to seal afresh. They are imported (non-extractable, then dropped) only to check their
 * kind, so the result opens like any backup. A wrong oldWrapKey gives a DecryptionError, as with
 * openKeyBackup.
 */
export async function rewrapKeyBackup(backup: KeyBackup, oldWrapKey: CryptoKey, newWrapKey: CryptoKey, userId: string): Promise<KeyBackup> {
  const keys = await backupContent(backup, oldWrapKey, userId);
  await importBackupKeys(keys);
  return sealPkcs8Backup(
    { enc: fromBase64(keys.enc, 'backup enc key'), sig: fromBase64(keys.sig, 'backup sig key') },
    newWrapKey,
    userId,
    randomBytes(IV_BYTES),
  );
}

/** The backup's decrypted JSON: both private keys as base64 PKCS#8. */
async function backupContent(backup: KeyBackup, wrapKey: CryptoKey, userId: string): Promise<{ enc?: unknown; sig?: unknown }> {
  if (backup?.v !== 1) throw new InvalidInputError('unknown key backup version');
  const iv = fromBase64(backup.iv, 'backup iv');
  if (iv.length !== IV_BYTES) throw new InvalidInputError(`backup iv must be ${IV_BYTES} bytes`);
  const plaintext = await attempt(
    () => subtle().decrypt({ name: 'AES-GCM', iv, additionalData: backupAad(userId) }, wrapKey, fromBase64(backup.ct, 'backup ct')),
    (cause) => new DecryptionError('the key backup cannot be opened: wrong password, another user’s backup, or altered', { cause }),
  );
  try {
    return JSON.parse(utf8Decode(new Uint8Array(plaintext)));
  } catch (cause) {
    throw new InvalidInputError('the key backup content is not valid', { cause });
  }
}

function backupAad(userId: string): Uint8Array<ArrayBuffer> {
  return utf8(V1.backupAad + checkId(userId, 'userId'));
}

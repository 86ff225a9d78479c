import { InvalidInputError } from './errors.js';
import { toBase64, utf8 } from './encoding.js';
import { V1 } from './labels.js';
import { attempt, subtle } from './webcrypto.js';

export interface AccountKeys {
  /** The login credential (base64 of 32 bytes): what the server sees instead of the password. */
  authKey: string;
  /** AES-256-GCM, non-extractable: seals the key backup; never leaves the client. */
  wrapKey: CryptoKey;
}

/**
 * password → master (PBKDF2-SHA256, 600,000 iterations, salt "conclave/v1/" + lowercase username)
 * → authKey and wrapKey (HKDF-SHA256, empty salt, info "conclave/v1/auth" / "conclave/v1/wrap").
 * The password is NFKC-normalised first, so the same password typed on any keyboard gives the same keys.
 */
export async function deriveAccountKeys(password: string, username: string): Promise<AccountKeys> {
  if (typeof password !== 'string' || password.length === 0) throw new InvalidInputError('password is empty');
  if (typeof username !== 'string' || username.length === 0) throw new InvalidInputError('username is empty');
  const wc = subtle();
  return attempt(
    async () => {
      const passwordKey = await wc.importKey('raw', utf8(password.normalize('NFKC')), 'PBKDF2', false, ['deriveBits']);
      const master = await wc.deriveBits(
        { name: 'PBKDF2', hash: 'SHA-256', salt: utf8(V1.passwordSalt + username.toLowerCase()), iterations: V1.pbkdf2Iterations },
        passwordKey,
        256,
      );
      const masterKey = await wc.importKey('raw', master, 'HKDF', false, ['deriveBits', 'deriveKey']);
      const hkdf = (info: string) => ({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8(info) });
      const authKey = toBase64(await wc.deriveBits(hkdf(V1.authInfo), masterKey, 256));
      const wrapKey = await wc.deriveKey(hkdf(V1.wrapInfo), masterKey, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
      return { authKey, wrapKey };
    },
    (cause) => new InvalidInputError('cannot derive keys from this password', { cause }),
  );
}

import { fromBase64Url, toBase64Url } from './encoding.js';
import { hkdf } from './hkdf.js';
import { V1 } from './labels.js';
import { randomBytes } from './webcrypto.js';

const SECRET_BYTES = 32;

/**
 * A new invite's secret: 32 random bytes as unpadded base64url (43 characters), the fragment of
 * https://HOST/join/CODE#SECRET. Browsers never send a fragment to a server.
 */
export function newInviteSecret(): string {
  return toBase64Url(randomBytes(SECRET_BYTES));
}

/** What the server knows of an invite: base64url(HKDF-SHA256(secret bytes, "", "conclave/v1/invite-id", 16 bytes)), 22 characters. */
export async function inviteIdFromSecret(secret: string): Promise<string> {
  return toBase64Url(await hkdf(secretBytes(secret), V1.inviteIdInfo, 16));
}

/** The invite's verifier key, HKDF-SHA256(secret bytes, "", "conclave/v1/invite", 32 bytes): the joiner proves with it, members check with it (sealed). */
export async function inviteVerifier(secret: string): Promise<Uint8Array<ArrayBuffer>> {
  return hkdf(secretBytes(secret), V1.inviteVerifierInfo, 32);
}

function secretBytes(secret: string): Uint8Array<ArrayBuffer> {
  return fromBase64Url(secret, 'invite secret', SECRET_BYTES);
}

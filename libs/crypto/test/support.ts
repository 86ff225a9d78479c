import { readFileSync } from 'node:fs';
import type { PublicKeys } from '@conclave/contracts';
import { importPublicKeys, type NewIdentity, type PrivateIdentity, type PublicIdentity, type TestVectors } from '@conclave/crypto';

export const vectors: TestVectors = JSON.parse(readFileSync(new URL('../test-vectors.json', import.meta.url), 'utf8'));

export interface Member {
  userId: string;
  publicKeys: PublicKeys;
  pub: PublicIdentity;
  priv: PrivateIdentity;
  /** Extractable pairs, as right after generateIdentity (for backup tests). */
  pairs: NewIdentity;
}

const b64 = (text: string) => Buffer.from(text, 'base64');

/** alice or bob from the test vectors, with their keys imported the way a client holds them. */
export async function member(name: 'alice' | 'bob'): Promise<Member> {
  const v = vectors.identities[name];
  const wc = globalThis.crypto.subtle;
  const rsa = { name: 'RSA-OAEP', hash: 'SHA-256' };
  const ec = { name: 'ECDSA', namedCurve: 'P-256' };
  const pub = await importPublicKeys(v.publicKeys);
  const encPrivate = await wc.importKey('pkcs8', b64(v.privateKeys.enc), rsa, true, ['decrypt', 'unwrapKey']);
  const sigPrivate = await wc.importKey('pkcs8', b64(v.privateKeys.sig), ec, true, ['sign']);
  return {
    userId: v.userId,
    publicKeys: v.publicKeys,
    pub,
    priv: { enc: encPrivate, sig: sigPrivate },
    pairs: { enc: { publicKey: pub.enc, privateKey: encPrivate }, sig: { publicKey: pub.sig, privateKey: sigPrivate } },
  };
}

/** Flips one bit of a base64 field (byte `index`, bit 0). */
export function flipBit(base64: string, index = 0): string {
  const bytes = b64(base64);
  bytes[index % bytes.length]! ^= 1;
  return bytes.toString('base64');
}

/** Whether a signature made with `privateKey` verifies with `publicKey` (the two halves of one ECDSA pair). */
export async function signsFor(privateKey: CryptoKey, publicKey: CryptoKey): Promise<boolean> {
  const data = new TextEncoder().encode('probe');
  const signature = await globalThis.crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, data);
  return globalThis.crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, publicKey, signature, data);
}

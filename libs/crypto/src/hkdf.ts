import { utf8 } from './encoding.js';
import { subtle } from './webcrypto.js';

/** HKDF-SHA256 with an empty salt (RFC 5869), `bytes` long: every v1 derivation uses this form. */
export async function hkdf(ikm: Uint8Array<ArrayBuffer>, info: string, bytes = 32): Promise<Uint8Array<ArrayBuffer>> {
  const wc = subtle();
  const key = await wc.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  return new Uint8Array(await wc.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8(info) }, key, bytes * 8));
}

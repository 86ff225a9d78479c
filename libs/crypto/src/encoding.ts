import { BASE64_PATTERN as BASE64 } from '@conclave/contracts';
import { InvalidInputError } from './errors.js';

const encoder = new TextEncoder();

export const utf8 = (text: string): Uint8Array<ArrayBuffer> => encoder.encode(text);

export function utf8Decode(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new InvalidInputError('not valid UTF-8', { cause });
  }
}

/** Standard base64 with padding (RFC 4648 §4), the one flavour on the wire. */
export function toBase64(bytes: Uint8Array | ArrayBuffer): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = '';
  for (let i = 0; i < view.length; i += 0x8000) binary += String.fromCharCode(...view.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Strict: rejects url-safe characters, missing padding and whitespace, naming the field. */
export function fromBase64(text: unknown, field: string): Uint8Array<ArrayBuffer> {
  if (typeof text !== 'string' || !BASE64.test(text)) throw new InvalidInputError(`${field} is not standard base64`);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Unambiguous encoding of a list of fields for signing: each field as a 4-byte big-endian length
 * followed by its bytes (strings as UTF-8, numbers as decimal ASCII).
 */
export function canonical(...fields: Array<string | number | Uint8Array>): Uint8Array<ArrayBuffer> {
  return concat(
    ...fields.flatMap((field) => {
      const bytes = field instanceof Uint8Array ? field : utf8(String(field));
      const length = new Uint8Array(4);
      new DataView(length.buffer).setUint32(0, bytes.length);
      return [length, bytes];
    }),
  );
}

export const equalBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Equality whose time depends only on the lengths, not on where the bytes differ: for MACs and
 * proofs, so a timing observer cannot learn a valid value byte by byte.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

/** Unpadded base64url (RFC 4648 §5): for values that travel in URLs (an invite's secret and id). */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Strict unpadded base64url of exactly `length` bytes, naming the field. */
export function fromBase64Url(text: unknown, field: string, length: number): Uint8Array<ArrayBuffer> {
  const chars = Math.ceil((length * 4) / 3);
  if (typeof text !== 'string' || text.length !== chars || !/^[A-Za-z0-9_-]*$/.test(text)) {
    throw new InvalidInputError(`${field} must be ${length} bytes as unpadded base64url (${chars} characters)`);
  }
  const standard = text.replace(/-/g, '+').replace(/_/g, '/');
  const bytes = fromBase64(standard + '='.repeat((4 - (standard.length % 4)) % 4), field);
  // The last character may carry unused bits; only the canonical spelling is accepted.
  if (toBase64Url(bytes) !== text) throw new InvalidInputError(`${field} is not canonical base64url`);
  return bytes;
}

import type { ContactBook, PublicKeys, SealedContactBook } from '@conclave/contracts';
import { CONTACT_BOOK_MAX_BYTES } from '@conclave/contracts';
import { DecryptionError, InvalidInputError } from './errors.js';
import { fromBase64, toBase64, utf8, utf8Decode } from './encoding.js';
import { IV_BYTES, V1 } from './labels.js';
import { checkId } from './validate.js';
import { attempt, randomBytes, subtle } from './webcrypto.js';

/**
 * What a contact book remembers of someone's identity keys: SHA-256 over "enc|sig" (the base64
 * SPKIs), as base64. Equal digests mean the same keys; it is short enough for large books.
 */
export async function keysDigest(keys: PublicKeys): Promise<string> {
  if (typeof keys?.enc !== 'string' || typeof keys?.sig !== 'string') throw new InvalidInputError('keys must have enc and sig');
  return toBase64(await subtle().digest('SHA-256', utf8(`${keys.enc}|${keys.sig}`)));
}

/**
 * Seals the contact book (docs/protocol.md §5.3–5.4: the verified set follows the user) with wrapKey: AES-256-GCM,
 * random IV, AAD "conclave/v1/contacts|" + userId, so the server stores it without reading it.
 */
export async function sealContactBook(book: ContactBook, wrapKey: CryptoKey, userId: string): Promise<SealedContactBook> {
  const plaintext = utf8(JSON.stringify(book));
  if (plaintext.length + 16 > CONTACT_BOOK_MAX_BYTES) throw new InvalidInputError(`the contact book is over ${CONTACT_BOOK_MAX_BYTES} bytes`);
  const iv = randomBytes(IV_BYTES);
  const ct = await attempt(
    () => subtle().encrypt({ name: 'AES-GCM', iv, additionalData: contactsAad(userId) }, wrapKey, plaintext),
    (cause) => new InvalidInputError('wrapKey cannot seal (is it the AES-GCM key from deriveAccountKeys?)', { cause }),
  );
  return { v: 1, iv: toBase64(iv), ct: toBase64(ct) };
}

/** Opens a sealed contact book; another user's book, another password's wrapKey or any altered byte gives a DecryptionError. */
export async function openContactBook(sealed: SealedContactBook, wrapKey: CryptoKey, userId: string): Promise<ContactBook> {
  if (sealed?.v !== 1) throw new InvalidInputError('unknown contact book version');
  const iv = fromBase64(sealed.iv, 'contact book iv');
  if (iv.length !== IV_BYTES) throw new InvalidInputError(`contact book iv must be ${IV_BYTES} bytes`);
  const plaintext = await attempt(
    () => subtle().decrypt({ name: 'AES-GCM', iv, additionalData: contactsAad(userId) }, wrapKey, fromBase64(sealed.ct, 'contact book ct')),
    (cause) => new DecryptionError('the contact book cannot be opened: another password, another user’s book, or altered', { cause }),
  );
  let book: ContactBook;
  try {
    book = JSON.parse(utf8Decode(new Uint8Array(plaintext)));
  } catch (cause) {
    throw new InvalidInputError('the contact book content is not valid', { cause });
  }
  if (book?.v !== 1 || typeof book.contacts !== 'object' || book.contacts === null) throw new InvalidInputError('the contact book content is not valid');
  return book;
}

function contactsAad(userId: string): Uint8Array<ArrayBuffer> {
  return utf8(V1.contactsAad + checkId(userId, 'userId'));
}

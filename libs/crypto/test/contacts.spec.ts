import { createHash } from 'node:crypto';
import { CONTACT_BOOK_MAX_BYTES, type ContactBook } from '@conclave/contracts';
import { DecryptionError, InvalidInputError, deriveAccountKeys, keysDigest, openContactBook, sealContactBook } from '@conclave/crypto';
import { flipBit, member } from './support.js';

describe('the contact book (docs/protocol.md §5.3–5.4: the verified set follows the user, sealed under wrapKey)', () => {
  const userId = '6f1d2c4e-8a3b-4c5d-9e7f-0a1b2c3d4e5f';
  const book: ContactBook = { v: 1, contacts: { 'a1b2c3d4-0000-4000-8000-000000000001': { keys: 'digest', verified: true } } };

  it('round-trips under the same password and user, with a fresh IV each time', async () => {
    const { wrapKey } = await deriveAccountKeys('a long passphrase for the book', 'carol');
    const first = await sealContactBook(book, wrapKey, userId);
    const second = await sealContactBook(book, wrapKey, userId);
    expect(first.iv).not.toBe(second.iv);
    expect(await openContactBook(first, wrapKey, userId)).toEqual(book);
  });

  it('does not open for another password, another user, or an altered byte', async () => {
    const { wrapKey } = await deriveAccountKeys('a long passphrase for the book', 'carol');
    const other = await deriveAccountKeys('another passphrase entirely', 'carol');
    const sealed = await sealContactBook(book, wrapKey, userId);
    await expect(openContactBook(sealed, other.wrapKey, userId)).rejects.toBeInstanceOf(DecryptionError);
    await expect(openContactBook(sealed, wrapKey, 'b7e0c1d2-1111-4111-8111-111111111111')).rejects.toBeInstanceOf(DecryptionError);
    const altered = { ...sealed, ct: flipBit(sealed.ct, 3) };
    await expect(openContactBook(altered, wrapKey, userId)).rejects.toBeInstanceOf(DecryptionError);
  });

  it('refuses a book over the size the server keeps', async () => {
    const { wrapKey } = await deriveAccountKeys('a long passphrase for the book', 'carol');
    const huge: ContactBook = { v: 1, contacts: { x: { keys: 'k'.repeat(CONTACT_BOOK_MAX_BYTES), verified: false } } };
    await expect(sealContactBook(huge, wrapKey, userId)).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('digests identity keys as SHA-256 over "enc|sig"', async () => {
    const alice = await member('alice');
    const expected = createHash('sha256').update(`${alice.publicKeys.enc}|${alice.publicKeys.sig}`).digest('base64');
    expect(await keysDigest(alice.publicKeys)).toBe(expected);
    expect(await keysDigest((await member('bob')).publicKeys)).not.toBe(expected);
  });
});

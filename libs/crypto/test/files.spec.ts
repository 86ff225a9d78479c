import { LIMITS, messageBounds } from '@conclave/contracts';
import {
  DecryptionError,
  FileIntegrityError,
  FileTooLargeError,
  FileTypeMismatchError,
  UnsupportedFileTypeError,
  decryptFile,
  encryptFile,
  encryptMessage,
  generateEpochKey,
  generateIdentity,
  sniffFileType,
} from '@conclave/crypto';
import { flipBit } from './support.js';

const bytes = (...parts: Array<number[] | string>) =>
  new Uint8Array(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)))));

// The smallest files that start the way real ones do.
const SAMPLES = {
  'notes.txt': new TextEncoder().encode('Meeting notes — ünïcödé ✓\n'),
  'report.pdf': bytes('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n'),
  'logo.png': bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13], 'IHDR'),
  'photo.jpg': bytes([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10], 'JFIF\0'),
  'photo.JPEG': bytes([0xff, 0xd8, 0xff, 0xe1, 0x00, 0x10], 'Exif\0'),
  'anim.gif': bytes('GIF89a', [1, 0, 1, 0, 0, 0, 0]),
  'old.gif': bytes('GIF87a', [1, 0, 1, 0, 0, 0, 0]),
};

const place = { roomId: 'a3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d', fileId: '7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f' };

describe('files', () => {
  it.each(Object.entries(SAMPLES))('round-trips %s, with its type from its magic bytes', async (name, content) => {
    const { ciphertext, descriptor } = await encryptFile(content, name, place);
    expect(descriptor).toMatchObject({ name, size: content.length, mime: sniffFileType(content) });
    expect(Buffer.from(ciphertext).includes(Buffer.from(content))).toBe(false);
    expect(await decryptFile(ciphertext, descriptor, place)).toEqual(content);
  });

  it('uses a fresh key and IV for every file', async () => {
    const a = await encryptFile(SAMPLES['notes.txt'], 'notes.txt', place);
    const b = await encryptFile(SAMPLES['notes.txt'], 'notes.txt', place);
    expect(a.descriptor.key).not.toBe(b.descriptor.key);
    expect(a.descriptor.iv).not.toBe(b.descriptor.iv);
  });

  it(`accepts exactly ${LIMITS.fileBytes} bytes and refuses one more`, async () => {
    const limit = new Uint8Array(LIMITS.fileBytes).fill(0x61);
    await expect(encryptFile(limit, 'big.txt', place)).resolves.toBeDefined();
    const over = encryptFile(new Uint8Array(LIMITS.fileBytes + 1).fill(0x61), 'big.txt', place);
    await expect(over).rejects.toBeInstanceOf(FileTooLargeError);
    await expect(over).rejects.toMatchObject({ code: 'file-too-large', limit: LIMITS.fileBytes });
  });

  it.each(['setup.exe', 'page.html', 'archive.tar.gz', 'README', 'image.svg'])('refuses %s: not an allowed type', async (name) => {
    await expect(encryptFile(SAMPLES['notes.txt'], name, place)).rejects.toBeInstanceOf(UnsupportedFileTypeError);
  });

  it.each([
    ['a PNG renamed .txt', SAMPLES['logo.png'], 'logo.txt'],
    ['text renamed .png', SAMPLES['notes.txt'], 'notes.png'],
    ['a GIF renamed .jpg', SAMPLES['anim.gif'], 'anim.jpg'],
    ['binary renamed .pdf', bytes([0, 1, 2, 3, 4]), 'x.pdf'],
    ['invalid UTF-8 as .txt', bytes([0xc3, 0x28]), 'x.txt'],
  ])('refuses %s', async (_case, content, name) => {
    await expect(encryptFile(content, name, place)).rejects.toBeInstanceOf(FileTypeMismatchError);
  });

  it('shortens a long name, keeping its extension', async () => {
    const name = 'ü'.repeat(300) + '.txt';
    const { descriptor } = await encryptFile(SAMPLES['notes.txt'], name, place);
    expect([...descriptor.name]).toHaveLength(LIMITS.fileNameChars);
    expect(descriptor.name.endsWith('….txt')).toBe(true);
  });

  it('rejects a tampered download, a wrong key, or a descriptor that does not match', async () => {
    const { ciphertext, descriptor } = await encryptFile(SAMPLES['logo.png'], 'logo.png', place);
    const flipped = new Uint8Array(ciphertext);
    flipped[3]! ^= 1;
    // the ciphertext hash catches a changed download before anything is decrypted…
    await expect(decryptFile(flipped, descriptor, place)).rejects.toBeInstanceOf(FileIntegrityError);
    // …and GCM catches one whose descriptor hash was changed to match it
    const flippedHash = Buffer.from(await crypto.subtle.digest('SHA-256', flipped)).toString('base64');
    await expect(decryptFile(flipped, { ...descriptor, ciphertextSha256: flippedHash }, place)).rejects.toBeInstanceOf(DecryptionError);
    await expect(decryptFile(ciphertext, { ...descriptor, key: flipBit(descriptor.key) }, place)).rejects.toBeInstanceOf(DecryptionError);
    await expect(decryptFile(ciphertext, { ...descriptor, sha256: flipBit(descriptor.sha256) }, place)).rejects.toBeInstanceOf(FileIntegrityError);
    await expect(decryptFile(ciphertext, { ...descriptor, size: descriptor.size + 1 }, place)).rejects.toBeInstanceOf(FileIntegrityError);
    // a member passing a PNG off as a PDF (say, to trick a viewer) is caught after decryption
    await expect(decryptFile(ciphertext, { ...descriptor, mime: 'application/pdf' }, place)).rejects.toBeInstanceOf(FileTypeMismatchError);
  });

  it.each([
    ['another room', { ...place, roomId: 'b3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d' }],
    ['another file id', { ...place, fileId: '8c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f' }],
  ])('refuses a blob passed off in %s (the AAD names room and file)', async (_case, elsewhere) => {
    const { ciphertext, descriptor } = await encryptFile(SAMPLES['notes.txt'], 'notes.txt', place);
    await expect(decryptFile(ciphertext, descriptor, elsewhere)).rejects.toBeInstanceOf(DecryptionError);
  });

  it('a file message with the longest, worst-encoded name still fits one message', async () => {
    const { descriptor } = await encryptFile(SAMPLES['notes.txt'], 'notes.txt', place);
    // a lone surrogate is escaped as \uXXXX: 6 bytes of JSON per code point, the worst case a name may have
    const name = '\ud800'.repeat(LIMITS.fileNameChars - 4) + '.txt';
    const content = { type: 'file' as const, ...descriptor, fileId: place.fileId, name, size: LIMITS.fileBytes, sentAt: Number.MAX_SAFE_INTEGER };
    const sender = await generateIdentity();
    const envelope = await encryptMessage({ roomId: place.roomId, senderId: 'ann', epoch: 1, epochKey: await generateEpochKey(), senderSig: sender.sig.privateKey, content });
    expect(Buffer.from(envelope.ct, 'base64').length).toBeLessThanOrEqual(LIMITS.messageCiphertextBytes);
    // A deployment with a text limit below the default (MESSAGE_MAX_CHARS=20) still carries it.
    const lowLimit = await encryptMessage({ roomId: place.roomId, senderId: 'ann', epoch: 1, epochKey: await generateEpochKey(), senderSig: sender.sig.privateKey, content, maxChars: 20 });
    expect(Buffer.from(lowLimit.ct, 'base64').length).toBeLessThanOrEqual(messageBounds(20).ciphertextBytes);
  });

  describe('a received name must be an allowed name for its type (a member may skip the sender-side check)', () => {
    const html = new TextEncoder().encode('<!doctype html><script>alert(document.domain)</script>');

    it.each(['invoice.html', 'run.bat', 'setup.js', 'page.svg', 'notes', 'photo.png', 'gpj\u202e.txt', 'line\nbreak.txt'])(
      'refuses a text/plain file named %j, as a message and as a download',
      async (name) => {
        const { ciphertext, descriptor } = await encryptFile(html, 'honest.txt', place);
        const content = { type: 'file' as const, fileId: place.fileId, ...descriptor, name, sentAt: Date.now() };
        const sender = await generateIdentity();
        const epochKey = await generateEpochKey();
        // the sender's own library refuses to make such a message…
        await expect(encryptMessage({ roomId: place.roomId, senderId: 'mallory', epoch: 1, epochKey, senderSig: sender.sig.privateKey, content })).rejects.toThrow(/file name/);
        // …and a receiver refuses one made without it
        await expect(decryptFile(ciphertext, { ...descriptor, name }, place)).rejects.toBeInstanceOf(FileTypeMismatchError);
      },
    );

    it('accepts upper-case and either JPEG extension, and a name the sender shortened', async () => {
      const jpeg = SAMPLES['photo.jpg'];
      for (const name of ['PHOTO.JPG', 'photo.jpeg', 'ü'.repeat(300) + '.jpg']) {
        const { ciphertext, descriptor } = await encryptFile(jpeg, name, place);
        await expect(decryptFile(ciphertext, descriptor, place)).resolves.toEqual(jpeg);
      }
    });

    it('drops control and bidi characters from a name when encrypting, so the file can still be shared', async () => {
      const { descriptor } = await encryptFile(SAMPLES['notes.txt'], 'my\u202eexe.txt', place);
      expect(descriptor.name).toBe('myexe.txt');
    });
  });
});

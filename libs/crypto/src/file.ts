import { ALLOWED_FILE_TYPES, type AllowedFileExtension, type AllowedMimeType, type FileDescriptor, LIMITS } from '@conclave/contracts';
import {
  DecryptionError,
  FileIntegrityError,
  FileTooLargeError,
  FileTypeMismatchError,
  InvalidInputError,
  UnsupportedFileTypeError,
} from './errors.js';
import { equalBytes, fromBase64, toBase64, utf8 } from './encoding.js';
import { IV_BYTES, V1 } from './labels.js';
import { checkId } from './validate.js';
import { attempt, randomBytes, subtle } from './webcrypto.js';

const MAGIC: ReadonlyArray<{ mime: AllowedMimeType; bytes: ReadonlyArray<number | null> }> = [
  { mime: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { mime: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
  // GIF87a / GIF89a
  { mime: 'image/gif', bytes: [0x47, 0x49, 0x46, 0x38, null, 0x61] },
  // %PDF-
  { mime: 'application/pdf', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] },
];

/** The allowed type the bytes are, by magic number; text/plain for valid UTF-8 without NUL bytes. */
export function sniffFileType(bytes: Uint8Array): AllowedMimeType | undefined {
  for (const { mime, bytes: magic } of MAGIC) {
    if (magic.every((b, i) => b === null ? (bytes[i] === 0x37 || bytes[i] === 0x39) : bytes[i] === b)) return mime;
  }
  if (bytes.includes(0)) return undefined;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return 'text/plain';
  } catch {
    return undefined;
  }
}

/** Characters a file name may not carry: controls, and the bidirectional overrides that make "gpj.exe" look like "exe.jpg". */
const UNSAFE_NAME_CHARS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/**
 * Whether a received descriptor's name is one a client may save or open: no control or bidi
 * characters, and an allowed extension that is the declared type's (docs/protocol.md §10.1). A
 * sender's browser checks this by construction; a receiver checks it because a member who skips
 * that could otherwise name text "invoice.html".
 */
export function fileNameMatchesType(name: string, mime: string): boolean {
  if (typeof name !== 'string' || name.match(UNSAFE_NAME_CHARS)) return false;
  const extension = /\.([^.]+)$/.exec(name)?.[1]?.toLowerCase();
  return !!extension && Object.hasOwn(ALLOWED_FILE_TYPES, extension) && ALLOWED_FILE_TYPES[extension as AllowedFileExtension] === mime;
}

/**
 * The type a file may be shared as: its extension must be allowed (TXT, PDF, PNG, JPG, JPEG, GIF)
 * and its content must be that type by magic bytes, so a renamed file is refused.
 */
export function checkFileType(bytes: Uint8Array, fileName: string): AllowedMimeType {
  const extension = /\.([^.]+)$/.exec(fileName)?.[1]?.toLowerCase();
  if (!extension || !Object.hasOwn(ALLOWED_FILE_TYPES, extension)) {
    throw new UnsupportedFileTypeError(`"${fileName}": only ${Object.keys(ALLOWED_FILE_TYPES).join(', ').toUpperCase()} files can be shared`);
  }
  const declared = ALLOWED_FILE_TYPES[extension as AllowedFileExtension];
  const actual = sniffFileType(bytes);
  if (actual !== declared) {
    throw new FileTypeMismatchError(`"${fileName}" is named .${extension} but its content is ${actual ?? 'not an allowed type'}`);
  }
  return declared;
}

/** Where a file belongs: its AAD names both, so a blob cannot be passed off in another room or as another file (docs/protocol.md §10). */
export interface FilePlace {
  roomId: string;
  /** A UUID the uploader makes before encrypting; the server stores the ciphertext under it. */
  fileId: string;
}

const fileAad = ({ roomId, fileId }: FilePlace) => {
  checkId(roomId, 'roomId');
  checkId(fileId, 'fileId');
  return utf8(`${V1.fileAad}${roomId}|${fileId}`);
};

export interface EncryptedFile {
  /** Upload this: AES-256-GCM ciphertext with its tag. */
  ciphertext: Uint8Array<ArrayBuffer>;
  /** Send this inside the (encrypted) file message. */
  descriptor: FileDescriptor;
}

/** Checks size and type, then encrypts with a fresh per-file key (AAD "conclave/v1/file|" + roomId + "|" + fileId). */
export async function encryptFile(bytes: Uint8Array<ArrayBuffer>, fileName: string, place: FilePlace): Promise<EncryptedFile> {
  if (bytes.length > LIMITS.fileBytes) throw new FileTooLargeError(bytes.length, LIMITS.fileBytes);
  const key = await attempt(
    () => subtle().generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']),
    (cause) => new InvalidInputError('file key generation failed', { cause }),
  );
  return encryptFileWith(bytes, fileName, place, key, randomBytes(IV_BYTES));
}

/** @internal Deterministic core of encryptFile, for the test vectors. Never reuse a key and IV. */
export async function encryptFileWith(
  bytes: Uint8Array<ArrayBuffer>,
  fileName: string,
  place: FilePlace,
  key: CryptoKey,
  iv: Uint8Array<ArrayBuffer>,
): Promise<EncryptedFile> {
  if (bytes.length > LIMITS.fileBytes) throw new FileTooLargeError(bytes.length, LIMITS.fileBytes);
  const mime = checkFileType(bytes, fileName);
  const additionalData = fileAad(place);
  const wc = subtle();
  const [ciphertext, sha256, rawKey] = await attempt(
    () => Promise.all([wc.encrypt({ name: 'AES-GCM', iv, additionalData }, key, bytes), wc.digest('SHA-256', bytes), wc.exportKey('raw', key)]),
    (cause) => new InvalidInputError('file encryption failed', { cause }),
  );
  const ciphertextSha256 = await attempt(
    () => wc.digest('SHA-256', ciphertext),
    (cause) => new InvalidInputError('file hashing failed', { cause }),
  );
  return {
    ciphertext: new Uint8Array(ciphertext),
    descriptor: {
      name: shortenName(fileName),
      mime,
      size: bytes.length,
      sha256: toBase64(sha256),
      ciphertextSha256: toBase64(ciphertextSha256),
      key: toBase64(rawKey),
      iv: toBase64(iv),
    },
  };
}

/**
 * Checks a downloaded blob against its descriptor's ciphertext hash before anything is decrypted,
 * so a substituted or truncated download is reported as such (docs/protocol.md §10).
 */
export async function checkFileCiphertext(ciphertext: Uint8Array<ArrayBuffer>, descriptor: FileDescriptor): Promise<void> {
  const digest = new Uint8Array(
    await attempt(
      () => subtle().digest('SHA-256', ciphertext),
      (cause) => new InvalidInputError('file hashing failed', { cause }),
    ),
  );
  if (!equalBytes(digest, fromBase64(descriptor?.ciphertextSha256, 'ciphertextSha256'))) {
    throw new FileIntegrityError(`"${descriptor.name}" was altered or is not this file (its encrypted bytes do not match)`);
  }
}

/**
 * Checks a downloaded file's ciphertext hash, decrypts it for its room and id, and checks the result
 * against the descriptor: size, SHA-256, and that the content really is the declared type (a member
 * cannot pass off HTML as an image).
 */
export async function decryptFile(ciphertext: Uint8Array<ArrayBuffer>, descriptor: FileDescriptor, place: FilePlace): Promise<Uint8Array<ArrayBuffer>> {
  const additionalData = fileAad(place);
  if (!fileNameMatchesType(descriptor?.name, descriptor?.mime)) {
    throw new FileTypeMismatchError(`"${String(descriptor?.name)}" is not a name a ${String(descriptor?.mime)} file may have`);
  }
  await checkFileCiphertext(ciphertext, descriptor);
  const wc = subtle();
  const key = await attempt(
    () => wc.importKey('raw', fromBase64(descriptor?.key, 'file key'), 'AES-GCM', false, ['decrypt']),
    (cause) => new InvalidInputError('file key must be 32 bytes', { cause }),
  );
  const plaintext = new Uint8Array(
    await attempt(
      () => wc.decrypt({ name: 'AES-GCM', iv: fromBase64(descriptor.iv, 'file iv'), additionalData }, key, ciphertext),
      (cause) => new DecryptionError(`"${descriptor.name}" cannot be decrypted: altered or not this file`, { cause }),
    ),
  );
  if (plaintext.length !== descriptor.size) throw new FileIntegrityError(`"${descriptor.name}" is ${plaintext.length} bytes, not ${descriptor.size}`);
  const digest = new Uint8Array(await wc.digest('SHA-256', plaintext));
  if (!equalBytes(digest, fromBase64(descriptor.sha256, 'sha256'))) throw new FileIntegrityError(`"${descriptor.name}" does not match its SHA-256`);
  if (sniffFileType(plaintext) !== descriptor.mime) throw new FileTypeMismatchError(`"${descriptor.name}" is not the ${descriptor.mime} it claims to be`);
  return plaintext;
}

/**
 * Drops control and bidi characters (a receiver refuses them), then keeps the extension and the
 * start of the name within LIMITS.fileNameChars code points.
 */
function shortenName(original: string): string {
  const fileName = original.replace(UNSAFE_NAME_CHARS, '');
  const chars = [...fileName]; // code points, as characterCount counts them
  if (chars.length <= LIMITS.fileNameChars) return fileName;
  const extension = [...(/\.[^.]+$/.exec(fileName)?.[0] ?? '')];
  return chars.slice(0, LIMITS.fileNameChars - extension.length - 1).join('') + '…' + extension.join('');
}


/**
 * Every failure of libs/crypto is a CryptoError with a stable `code`; no DOMException escapes.
 * Callers switch on `code` (or instanceof) to tell the user what happened.
 */
export type CryptoErrorCode =
  | 'unavailable'
  | 'invalid-input'
  | 'decryption-failed'
  | 'bad-signature'
  | 'wrong-recipient'
  | 'message-too-long'
  | 'malformed-plaintext'
  | 'file-too-large'
  | 'unsupported-file-type'
  | 'file-type-mismatch'
  | 'file-integrity';

export class CryptoError extends Error {
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** WebCrypto is missing: not a secure context (https or localhost), or a very old runtime. */
export class CryptoUnavailableError extends CryptoError {
  constructor() {
    super('unavailable', 'WebCrypto (crypto.subtle) is not available: Conclave needs a secure context (https) and a current browser');
  }
}

/** An argument or wire field is malformed: bad base64, an id with '|', a key of the wrong type or size. */
export class InvalidInputError extends CryptoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid-input', message, options);
  }
}

/** AES-GCM or RSA-OAEP refused: wrong key (or password), or the ciphertext or its AAD was altered. */
export class DecryptionError extends CryptoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('decryption-failed', message, options);
  }
}

/** A signature does not verify under the claimed signer's key: forged, altered or re-attributed. */
export class SignatureError extends CryptoError {
  constructor(message: string) {
    super('bad-signature', message);
  }
}

/** A key box addressed to someone else. */
export class WrongRecipientError extends CryptoError {
  constructor(expected: string, actual: string) {
    super('wrong-recipient', `this key box is for ${actual}, not for ${expected}`);
  }
}

export class MessageTooLongError extends CryptoError {
  constructor(
    readonly length: number,
    readonly limit: number,
    unit: 'characters' | 'bytes',
  ) {
    super('message-too-long', `message is ${length} ${unit}; the limit is ${limit}`);
  }
}

/** Decrypted and authentic, but not a message this client understands. */
export class MalformedPlaintextError extends CryptoError {
  constructor(message: string) {
    super('malformed-plaintext', message);
  }
}

export class FileTooLargeError extends CryptoError {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super('file-too-large', `file is ${size} bytes; the limit is ${limit}`);
  }
}

export class UnsupportedFileTypeError extends CryptoError {
  constructor(message: string) {
    super('unsupported-file-type', message);
  }
}

/** The file's content is not what its name or declared type says. */
export class FileTypeMismatchError extends CryptoError {
  constructor(message: string) {
    super('file-type-mismatch', message);
  }
}

/** A decrypted file whose size or SHA-256 differs from its descriptor. */
export class FileIntegrityError extends CryptoError {
  constructor(message: string) {
    super('file-integrity', message);
  }
}

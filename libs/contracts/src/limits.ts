/**
 * Worst-case bytes one body character takes in the JSON plaintext of a message: a control
 * character or lone surrogate that JSON.stringify escapes as \uXXXX.
 */
const JSON_BYTES_PER_CHAR = 6;
const MESSAGE_BODY_CHARS = 150;
/** The most a deployment may set MESSAGE_MAX_CHARS to; receivers accept bodies up to this. */
const MESSAGE_BODY_CHARS_MAX = 4000;
/** JSON bytes of a content's fields besides its body (an edit's, the longest, needs about 80). */
const CONTENT_FIXED_BYTES = 124;
const GCM_TAG_BYTES = 16;

/**
 * The byte bounds that follow from a limit of `chars` body characters at their worst case: what the
 * sender checks its plaintext against, and the server its ciphertext (docs/protocol.md §9). Never
 * below the default limit's: a file message's descriptor needs that much whatever the text limit.
 */
export function messageBounds(chars: number): { plaintextBytes: number; ciphertextBytes: number } {
  const plaintextBytes = Math.max(chars, MESSAGE_BODY_CHARS) * JSON_BYTES_PER_CHAR + CONTENT_FIXED_BYTES;
  return { plaintextBytes, ciphertextBytes: plaintextBytes + GCM_TAG_BYTES };
}

/** The 150-character body at its worst case plus the fixed fields: 1024 bytes. */
const MESSAGE_PLAINTEXT_BYTES = messageBounds(MESSAGE_BODY_CHARS).plaintextBytes;

/** Product limits shared by the API (enforcement), the web app (input hints) and libs/crypto. */
export const LIMITS = {
  /**
   * Characters (Unicode code points) in a chat message body by default; a deployment may set another
   * limit up to messageBodyCharsMax (MESSAGE_MAX_CHARS, served as ClientConfig.messageChars).
   */
  messageBodyChars: MESSAGE_BODY_CHARS,
  /** The highest limit a deployment may set, and what every receiver accepts. */
  messageBodyCharsMax: MESSAGE_BODY_CHARS_MAX,
  /**
   * Bytes of a message's JSON plaintext at the default limit. A file message (descriptor with a name
   * of at most fileNameChars) fits the same bound.
   */
  messagePlaintextBytes: MESSAGE_PLAINTEXT_BYTES,
  /** Bytes of a message ciphertext (plaintext + the GCM tag) at the default limit. */
  messageCiphertextBytes: MESSAGE_PLAINTEXT_BYTES + GCM_TAG_BYTES,
  /** Characters of a shared file's name as carried in its message (longer names are shortened). */
  fileNameChars: 100,
  /** Bytes in a shared file before encryption: 8 MiB. */
  fileBytes: 8 * 1024 * 1024,
  /** Bytes of an uploaded file's ciphertext: the file plus the GCM tag. The server's bound on an upload. */
  fileCiphertextBytes: 8 * 1024 * 1024 + GCM_TAG_BYTES,
  /** Characters in a room code. */
  roomCodeLength: 4,
} as const;

/** File types a member may share, by extension, with the MIME type the upload declares. */
export const ALLOWED_FILE_TYPES = {
  txt: 'text/plain',
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
} as const;

export type AllowedFileExtension = keyof typeof ALLOWED_FILE_TYPES;
export type AllowedMimeType = (typeof ALLOWED_FILE_TYPES)[AllowedFileExtension];

/**
 * Objects and arrays inside each other in a request body or a socket event's payload. The deepest
 * real one, key:new-epoch's { boxes: [ { … } ] }, has 3 levels; anything past this bound is refused
 * before validation, which would otherwise recurse once per level.
 */
export const PAYLOAD_MAX_DEPTH = 16;

/**
 * UTF-8 bytes of a room password: bcrypt reads only the first 72, so a longer password would share
 * its hash with every password that starts the same. 72 ASCII characters, 36 of 'é'.
 */
export const ROOM_PASSWORD_MAX_BYTES = 72;

/**
 * Worst-case bytes one body character takes in the JSON plaintext of a message: a control
 * character or lone surrogate that JSON.stringify escapes as \uXXXX.
 */
const JSON_BYTES_PER_CHAR = 6;
const MESSAGE_BODY_CHARS = 150;
/** The 150-character body at its worst case plus the fixed fields: 1024 bytes. */
const MESSAGE_PLAINTEXT_BYTES = MESSAGE_BODY_CHARS * JSON_BYTES_PER_CHAR + 124;
const GCM_TAG_BYTES = 16;

/** Product limits shared by the API (enforcement), the web app (input hints) and libs/crypto. */
export const LIMITS = {
  /** Characters (Unicode code points) in a chat message body; enforced by the client. */
  messageBodyChars: MESSAGE_BODY_CHARS,
  /**
   * Bytes of a message's JSON plaintext. A file message (descriptor with a name of at most
   * fileNameChars) fits the same bound.
   */
  messagePlaintextBytes: MESSAGE_PLAINTEXT_BYTES,
  /** Bytes of a message ciphertext (plaintext + the GCM tag): the server's bound on `ct`. */
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

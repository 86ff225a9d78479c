/** Product limits shared by the API (enforcement) and the web app (input hints). */
export const LIMITS = {
  /** Characters in a chat message body (plaintext, enforced by the client and by a ciphertext bound on the server). */
  messageBodyChars: 150,
  /** Bytes in a shared file before encryption: 8 MiB. */
  fileBytes: 8 * 1024 * 1024,
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

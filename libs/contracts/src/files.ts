/**
 * The files module's REST contract (docs/protocol.md §10). A browser encrypts a file, uploads only
 * the ciphertext under an id it made, then sends a file message naming that id; downloads go
 * through short-lived links issued to members who may read that message.
 */
import type { AllowedMimeType } from './limits.js';

/** A file id: a UUID the uploader makes (lower-case, as crypto.randomUUID() returns it). */
export const FILE_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The query parameter of an upload that declares the file's type (one of ALLOWED_FILE_TYPES' MIME types). */
export const FILE_TYPE_PARAM = 'type';

/** The content type of an upload's body and of a download: opaque ciphertext. */
export const FILE_BODY_TYPE = 'application/octet-stream';

export const FILE_PATHS = {
  /**
   * PUT (members of the room): the ciphertext as the raw body (Content-Type FILE_BODY_TYPE,
   * Content-Length required, at most LIMITS.fileCiphertextBytes), `?type=<mime>` → FileUploadResult (201).
   * 413 before reading the body when too large; 409 for a file id already used, or the uploader's quota exceeded.
   */
  upload: (code: string, fileId: string) => `/api/rooms/${encodeURIComponent(code)}/files/${encodeURIComponent(fileId)}`,
  /** POST (members who may read the message that carries the file) → FileLink. */
  link: (code: string, fileId: string) => `/api/rooms/${encodeURIComponent(code)}/files/${encodeURIComponent(fileId)}/link`,
  /** GET (members) → RoomFileUsage: what the room's shared files take. */
  roomUsage: (code: string) => `/api/rooms/${encodeURIComponent(code)}/files`,
  /** GET → UserFileUsage: what the caller's uploads take of their quota. */
  usage: '/api/files/usage',
  /** GET, local storage driver only: the ciphertext behind a FileLink (the link adds its expiry and signature). */
  download: (fileId: string) => `/api/files/${encodeURIComponent(fileId)}`,
} as const;

export interface FileUploadResult {
  fileId: string;
  /** Ciphertext bytes stored. */
  bytes: number;
  mime: AllowedMimeType;
  /** Removed at this time (ISO 8601) unless a stored message carries it by then. */
  pendingUntil: string;
}

/** A download link: GET it (no credentials needed beyond the session cookie for the local driver) until expiresAt. Never stored in a message. */
export interface FileLink {
  url: string;
  /** ISO 8601. After it, ask for a new link. */
  expiresAt: string;
}

export interface RoomFileUsage {
  /** Files carried by the room's messages. */
  files: number;
  /** Their ciphertext bytes. */
  bytes: number;
}

export interface UserFileUsage {
  /** Ciphertext bytes of the caller's uploads (pending ones included) in rooms that still exist. */
  usedBytes: number;
  /** FILE_QUOTA_MB_PER_USER in bytes. */
  quotaBytes: number;
}

/** An upload nobody's message carries is removed after this long. */
export const FILE_PENDING_MS = 60 * 60 * 1000;

/**
 * Uploads of one user that may wait for their message at once (409 past it): the quota counts bytes,
 * and ciphertext can be as small as 17 bytes, so this bounds the rows and objects one account can make.
 */
export const FILE_PENDING_PER_USER_MAX = 20;

/**
 * Wire formats of the end-to-end encryption protocol (docs/protocol.md), produced and checked by
 * libs/crypto. Every binary field is standard base64 with padding (RFC 4648 §4). The server stores
 * and routes these objects and can read none of the secrets inside.
 */
import type { AllowedMimeType } from './limits.js';

/** Standard base64 with padding, strictly: the one binary encoding on the wire. */
export const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A user's public identity keys, uploaded at registration and immutable. */
export interface PublicKeys {
  /** RSA-OAEP 4096-bit, SHA-256, exponent 65537: SubjectPublicKeyInfo DER, base64. */
  enc: string;
  /** ECDSA P-256: SubjectPublicKeyInfo DER, base64. */
  sig: string;
}

/** The user's two private keys sealed with wrapKey (AES-256-GCM, AAD "conclave/v1/backup|" + userId). */
export interface KeyBackup {
  v: 1;
  /** 12 random bytes. */
  iv: string;
  /** AES-GCM ciphertext with its 16-byte tag appended, of the JSON {"v":1,"enc":pkcs8,"sig":pkcs8}. */
  ct: string;
}

/** One epoch key of one room for one member, wrapped to the member and signed by the sharer. */
export interface KeyBox {
  roomId: string;
  /** 1, 2, … */
  epoch: number;
  recipientId: string;
  sharerId: string;
  /** RSA-OAEP(recipient.enc, raw 32-byte AES key): 512 bytes. */
  wrapped: string;
  /** ECDSA P-256/SHA-256 by the sharer over the canonical encoding of the fields above: 64 bytes r‖s. */
  sig: string;
}

/** A message as the sender submits it. The server adds senderId, seq and createdAt. */
export interface MessageEnvelope {
  roomId: string;
  epoch: number;
  /** A UUID chosen by the sender; makes sending idempotent. */
  clientMsgId: string;
  /** 12 random bytes. */
  iv: string;
  /** AES-256-GCM ciphertext of the JSON MessageContent, 16-byte tag appended. */
  ct: string;
  /** ECDSA P-256/SHA-256 by the sender over aad + "|" + iv + "|" + ct: 64 bytes r‖s. */
  sig: string;
}

/** What a member's browser decrypts from a message. */
export type MessageContent = TextContent | FileContent | EditContent;

export interface TextContent {
  type: 'text';
  /** At most LIMITS.messageBodyChars code points; markdown. */
  body: string;
  /** Sender's clock, milliseconds since 1970 (UTC). */
  sentAt: number;
}

/**
 * An edit of the sender's own text message (docs/protocol.md §9b): a new message whose body replaces
 * the original's on screen. `editOf` is the original's seq, inside the ciphertext, so the server
 * cannot move an edit onto another message.
 */
export interface EditContent {
  type: 'edit';
  editOf: number;
  /** As a text's body. */
  body: string;
  sentAt: number;
}

/** Everything needed to fetch, decrypt and check a shared file. */
export interface FileDescriptor {
  /** Display name, at most LIMITS.fileNameChars code points. */
  name: string;
  mime: AllowedMimeType;
  /** Plaintext bytes. */
  size: number;
  /** SHA-256 of the plaintext, base64. */
  sha256: string;
  /** SHA-256 of the uploaded ciphertext (GCM tag included), base64: checked before decrypting. */
  ciphertextSha256: string;
  /** The file's own AES-256-GCM key, raw 32 bytes, base64. */
  key: string;
  /** 12 bytes, base64. */
  iv: string;
}

export interface FileContent extends FileDescriptor {
  type: 'file';
  /** The id the uploader made for the file (a UUID): the server's key for the ciphertext, and part of the file's AAD. */
  fileId: string;
  sentAt: number;
}

/**
 * The contact book (docs/protocol.md §5.3–5.4): per contact, the digest of the identity keys last accepted for them
 * (libs/crypto keysDigest) and whether the user verified those keys by comparing safety numbers.
 */
export interface ContactBook {
  v: 1;
  contacts: Record<string, { keys: string; verified: boolean }>;
  /**
   * Pinned room genesis (docs/protocol.md §7): per room id, a digest of the first genesis this user's
   * browser saw or signed for it (web app: base64 of the first 16 bytes of SHA-256 over the genesis).
   * A room whose server-served genesis differs from, or lacks, the pinned one admits nobody.
   */
  rooms?: Record<string, string>;
}

/** The contact book sealed with wrapKey (AES-256-GCM, AAD "conclave/v1/contacts|" + userId): what the server stores. */
export interface SealedContactBook {
  v: 1;
  /** 12 random bytes. */
  iv: string;
  /** AES-GCM ciphertext with its tag, of the JSON ContactBook. */
  ct: string;
}

/** The most bytes a sealed contact book's ciphertext may have (about 600 contacts; a multiple of 3, so its base64 length bounds it exactly). */
export const CONTACT_BOOK_MAX_BYTES = 65_535;

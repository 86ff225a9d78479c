import type { Readable } from 'node:stream';

/**
 * Where file ciphertext lives, behind one interface (docs/protocol.md §10). The bytes are opaque:
 * a driver never sees a key, a name or a plaintext type. Chosen by FILE_STORAGE (local | firebase).
 */
export interface FileStorage {
  /** 'local' or 'firebase', for logs, health and audit details. */
  readonly name: string;
  /**
   * An origin the browser fetches downloads from, added to the CSP's connect-src (the firebase
   * driver's storage origin); undefined when downloads are same-origin.
   */
  readonly downloadOrigin: string | undefined;
  /**
   * Stores `body` under `fileId`, streaming (never buffering the whole file). Resolves once the
   * object is durably written; rejects when the stream fails or is destroyed (the caller destroys it
   * on overflow or abort), leaving no object behind.
   */
  save(fileId: string, body: Readable, bytes: number): Promise<void>;
  /**
   * A URL that reads the object until `expiresAt`. The local driver binds it to `userId` (the
   * signed-in user must present it); a V4 signed URL of the firebase driver is a bearer link.
   */
  readLink(fileId: string, userId: string, expiresAt: Date): Promise<string>;
  /** Removes objects; ids with no object are not an error. */
  delete(fileIds: readonly string[]): Promise<void>;
}

/** Injection token of the configured FileStorage. */
export const FILE_STORAGE = Symbol('FILE_STORAGE');

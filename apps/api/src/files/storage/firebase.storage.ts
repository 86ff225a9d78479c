import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { cert, initializeApp } from 'firebase-admin/app';
import { getStorage } from 'firebase-admin/storage';
import { FILE_BODY_TYPE } from '@conclave/contracts';
import type { FileStorageConfig } from '../../config/app-config.js';
import type { FileStorage } from '../file-storage.js';
import { FileStorageUnavailable } from '../files.errors.js';

type FirebaseStorageConfig = Extract<FileStorageConfig, { driver: 'firebase' }>;
/** A bucket of the Cloud Storage client firebase-admin makes. */
type Bucket = ReturnType<ReturnType<typeof getStorage>['bucket']>;

/** Google's Cloud Storage origin: where signed URLs point when FIREBASE_STORAGE_ENDPOINT is unset. */
export const GOOGLE_STORAGE_ORIGIN = 'https://storage.googleapis.com';

/** How long the driver waits for Cloud Storage. */
export interface CloudStorageTimeouts {
  /**
   * One upload, start to end. The body streams from the browser through the server to the bucket,
   * so this also bounds the client's upload: as long as Node's own request timeout (5 minutes).
   */
  readonly uploadMs: number;
  /** Any other call (a batch of deletes), retries included. */
  readonly requestMs: number;
  /** Retries of a retryable failure (5xx, 429, a reset connection) and the time all attempts together may take. */
  readonly maxRetries: number;
  readonly totalSeconds: number;
}

export const DEFAULT_CLOUD_STORAGE_TIMEOUTS: CloudStorageTimeouts = { uploadMs: 300_000, requestMs: 20_000, maxRetries: 2, totalSeconds: 60 };

/** Deletes sent at once when the sweeper removes many files. */
const DELETE_CONCURRENCY = 8;

/**
 * Ciphertext as objects named by the file id in a Firebase (Cloud Storage) bucket
 * (docs/protocol.md §10.2); downloads are V4 signed URLs the SDK signs locally with the service
 * account's key, so the browser fetches straight from the bucket's origin.
 *
 * The client is firebase-admin's (a Firebase app of its own with cert(serviceAccount) and the
 * bucket), whose getStorage() makes the Cloud Storage SDK's client. Deadlines are the driver's own
 * (the upload timer, inTime): the SDK has none that works.
 */
export class FirebaseFileStorage implements FileStorage {
  readonly name = 'firebase';
  readonly downloadOrigin: string;
  private readonly bucket: Bucket;

  constructor(
    config: FirebaseStorageConfig,
    private readonly timeouts: CloudStorageTimeouts = DEFAULT_CLOUD_STORAGE_TIMEOUTS,
  ) {
    const { serviceAccount, apiEndpoint } = config;
    // Its own app name: several drivers (tests, a restart in-process) never share a Firebase app.
    const app = initializeApp({ credential: cert(serviceAccount), storageBucket: config.bucket }, `conclave-files-${randomUUID()}`);
    const storage = withStorageEndpoint(apiEndpoint, () => getStorage(app));
    this.bucket = storage.bucket();
    // The SDK's defaults retry for up to 600 s; the object is read at each request, so bounding it here bounds every call.
    Object.assign(this.bucket.storage.retryOptions, { maxRetries: timeouts.maxRetries, totalTimeout: timeouts.totalSeconds, maxRetryDelay: 8 });
    // V4 signed URLs are made on the client's endpoint (signer.js: host || cname || apiEndpoint).
    this.downloadOrigin = new URL(this.bucket.storage.apiEndpoint ?? GOOGLE_STORAGE_ORIGIN).origin;
  }

  /**
   * One single-request (multipart) upload streamed from `body`: resumable sessions would keep
   * chunks in memory and are not needed for 8 MiB. A failed upload leaves no object: whatever
   * might have landed is deleted. When the input failed first (the caller destroyed it), its error
   * is passed on as is; a failure of the bucket, or no answer in time, is FileStorageUnavailable.
   */
  async save(fileId: string, body: Readable, _bytes: number): Promise<void> {
    const file = this.bucket.file(fileId);
    const upload = file.createWriteStream({
      resumable: false,
      contentType: FILE_BODY_TYPE,
      // Served with the object on signed-URL downloads, as the local driver serves its files.
      metadata: { cacheControl: 'private, no-store', contentDisposition: 'attachment' },
    });
    // pipeline rejects with the first error and destroys every stream with it: who failed first tells whose fault it is.
    let firstFailure: 'input' | 'storage' | undefined;
    body.once('error', () => (firstFailure ??= 'input'));
    upload.once('error', () => (firstFailure ??= 'storage'));
    const timer = setTimeout(() => upload.destroy(new Error(`no answer from Cloud Storage within ${this.timeouts.uploadMs} ms`)), this.timeouts.uploadMs);
    try {
      await pipeline(body, upload);
    } catch (err) {
      await this.delete([fileId]).catch(() => undefined);
      throw firstFailure === 'input' ? err : new FileStorageUnavailable(err);
    } finally {
      clearTimeout(timer);
    }
  }

  async readLink(fileId: string, _userId: string, expiresAt: Date): Promise<string> {
    try {
      const [url] = await this.bucket.file(fileId).getSignedUrl({ version: 'v4', action: 'read', expires: expiresAt });
      return url;
    } catch (err) {
      throw new FileStorageUnavailable(err);
    }
  }

  async delete(fileIds: readonly string[]): Promise<void> {
    try {
      for (let i = 0; i < fileIds.length; i += DELETE_CONCURRENCY) {
        const batch = fileIds.slice(i, i + DELETE_CONCURRENCY).map((id) => this.bucket.file(id).delete({ ignoreNotFound: true }));
        await this.inTime(Promise.all(batch));
      }
    } catch (err) {
      throw err instanceof FileStorageUnavailable ? err : new FileStorageUnavailable(err);
    }
  }

  /**
   * `work`, or FileStorageUnavailable once requestMs have passed: the SDK's own `timeout` option
   * reaches no socket (teeny-request hands it to node-fetch 3, which ignores it), and the SDK takes
   * no AbortSignal, so a request to an endpoint that never answers stays open until the connection
   * dies; the caller is answered in time all the same.
   */
  private async inTime<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FileStorageUnavailable(new Error(`no answer from Cloud Storage within ${this.timeouts.requestMs} ms`))), this.timeouts.requestMs);
    });
    try {
      return await Promise.race([work, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * firebase-admin takes no endpoint option: the Cloud Storage SDK it wraps reads its documented
 * switch, STORAGE_EMULATOR_HOST, once, when getStorage() makes the client. It is set from the
 * validated FIREBASE_STORAGE_ENDPOINT for that moment only, so nothing else in the process sees it.
 * With such an endpoint the SDK sends no OAuth token (Google's tokens are not handed to another
 * host); the endpoint authenticates callers its own way. Signed URLs are still signed with the key.
 */
function withStorageEndpoint<T>(endpoint: string | undefined, make: () => T): T {
  if (endpoint === undefined) return make();
  const previous = process.env.STORAGE_EMULATOR_HOST;
  process.env.STORAGE_EMULATOR_HOST = endpoint;
  try {
    return make();
  } finally {
    if (previous === undefined) delete process.env.STORAGE_EMULATOR_HOST;
    else process.env.STORAGE_EMULATOR_HOST = previous;
  }
}

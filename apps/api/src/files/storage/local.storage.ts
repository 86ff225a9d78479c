import { createHmac, timingSafeEqual } from 'node:crypto';
import { createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FILE_PATHS } from '@conclave/contracts';
import type { FileStorage } from '../file-storage.js';

/** What a presented local link is, checked against the signed-in user. */
export type LinkCheck = 'valid' | 'bad-signature' | 'expired';

/**
 * Ciphertext under DATA_DIR/files/<first 2 hex of the id>/<id> (docs/protocol.md §10.2). A file is
 * written to `<id>.part`, flushed to disk and renamed, so an object either is whole or is not
 * there. Links are this server's own route, signed with HMAC-SHA256 over (file id, user, expiry):
 * only the user it was issued to can use one, until it expires.
 */
export class LocalFileStorage implements FileStorage {
  readonly name = 'local';
  readonly downloadOrigin = undefined;

  constructor(
    private readonly root: string,
    private readonly linkSecret: string,
  ) {}

  async save(fileId: string, body: Readable, _bytes: number): Promise<void> {
    const path = this.pathOf(fileId);
    const part = `${path}.part`;
    // A body that fails while the directory is made must not be an unhandled 'error': pipeline() finds it failed.
    const early = () => undefined;
    body.on('error', early);
    try {
      await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
      await pipeline(body, createWriteStream(part, { mode: 0o600 }));
      const handle = await open(part, 'r+');
      await handle.sync().finally(() => handle.close());
      await rename(part, path);
    } catch (err) {
      await rm(part, { force: true });
      throw err;
    } finally {
      body.off('error', early);
    }
  }

  readLink(fileId: string, userId: string, expiresAt: Date): Promise<string> {
    const expires = Math.floor(expiresAt.getTime() / 1000);
    const query = new URLSearchParams({ expires: String(expires), sig: this.sign(fileId, userId, expires) });
    return Promise.resolve(`${FILE_PATHS.download(fileId)}?${query}`);
  }

  async delete(fileIds: readonly string[]): Promise<void> {
    await Promise.all(fileIds.flatMap((id) => [removed(this.pathOf(id)), removed(`${this.pathOf(id)}.part`)]));
  }

  /** Whether `userId` may read `fileId` with this expiry and signature now; the signature is compared in constant time. */
  checkLink(fileId: string, userId: string, expires: string | undefined, sig: string | undefined, now = Date.now()): LinkCheck {
    if (!expires || !/^\d{1,12}$/.test(expires) || typeof sig !== 'string') return 'bad-signature';
    const expected = Buffer.from(this.sign(fileId, userId, Number(expires)));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad-signature';
    return Number(expires) * 1000 <= now ? 'expired' : 'valid';
  }

  /**
   * The stored ciphertext and its length; undefined when there is no such object. The file is opened
   * first and measured through its handle, so one removed in between is a clean "no such object",
   * never a stream that fails after the answer's headers were sent.
   */
  async open(fileId: string): Promise<{ stream: ReadStream; bytes: number } | undefined> {
    const handle = await open(this.pathOf(fileId), 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!handle) return undefined;
    try {
      const { size } = await handle.stat();
      // The stream closes the handle when it ends or is destroyed.
      return { stream: handle.createReadStream(), bytes: size };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  private sign(fileId: string, userId: string, expires: number): string {
    return createHmac('sha256', this.linkSecret).update(`${fileId}|${userId}|${expires}`).digest('base64url');
  }

  /** fileId is a checked lower-case UUID (FILE_ID_PATTERN) before it gets here: no path can be made of it. */
  private pathOf(fileId: string): string {
    return join(this.root, fileId.slice(0, 2), fileId);
  }
}

/** Removes a file; one that is not there, or cannot be (a parent is not a directory), is no error. */
async function removed(path: string): Promise<void> {
  await rm(path, { force: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOTDIR') throw err;
  });
}

import type { IncomingMessage } from 'node:http';
import { finished, type Readable } from 'node:stream';
import { BadRequestException, ConflictException, ForbiddenException, GoneException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type AllowedMimeType, FILE_PENDING_MS, FILE_PENDING_PER_USER_MAX, type FileLink, type FileUploadResult, type RoomFileUsage, type UserFileUsage } from '@conclave/contracts';
import type { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { AuditService } from '../security/audit/audit.service.js';
import { BodyLengthError, ByteLimit } from './byte-limit.js';
import { FILE_STORAGE, type FileStorage } from './file-storage.js';
import { FileStorageUnavailable, storageCall, UploadAbandoned } from './files.errors.js';
import { LocalFileStorage } from './storage/local.storage.js';

const MIB = 1024 * 1024;
const mib = (bytes: number) => (bytes / MIB).toFixed(1).replace(/\.0$/, '');

/** The same answer for a file that does not exist, is another room's, is pending, or is not the caller's to read. */
export class NoSuchFileException extends NotFoundException {
  constructor() {
    super('No such file in this room');
  }
}

export interface UploadRequest {
  /** The room's code (the caller is a member: RoomAccessGuard). */
  code: string;
  uploaderId: string;
  fileId: string;
  mime: AllowedMimeType;
  /** The declared Content-Length. */
  bytes: number;
  body: IncomingMessage;
}

/**
 * The files table and the configured storage (docs/protocol.md §10.2): admits and streams uploads
 * under the uploader's quota, issues links to members who may read the carrying message, and
 * removes what no message carries and what deleted rooms left behind. A row is written before its
 * object and removed before it: an object without a row (a crash in between) is unreachable ciphertext.
 */
@Injectable()
export class FilesService {
  private readonly log = new Logger('Files');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    @Inject(FILE_STORAGE) private readonly storage: FileStorage,
    private readonly rooms: RoomsService,
    private readonly audit: AuditService,
  ) {}

  async upload(upload: UploadRequest): Promise<FileUploadResult> {
    const { code, uploaderId, fileId, mime, bytes } = upload;
    const roomId = await this.roomIdOf(code, uploaderId);
    await this.admit(roomId, upload);
    try {
      await this.receive(upload);
    } catch (err) {
      await this.forget(fileId);
      throw err;
    }
    const [stored]: Array<{ created_at: Date }> = (await this.db.query(`UPDATE files SET state = 'stored' WHERE id = $1 AND state = 'uploading' AND room_id IS NOT NULL RETURNING created_at`, [fileId]))[0];
    if (!stored) {
      // The room was deleted while the body arrived.
      await this.forget(fileId);
      throw new NoSuchFileException();
    }
    await this.audit.record({ event: 'file.upload', actorId: uploaderId, details: { fileId, roomId, bytes, mime } });
    return { fileId, bytes, mime, pendingUntil: new Date(stored.created_at.getTime() + FILE_PENDING_MS).toISOString() };
  }

  /** A link for a member who may read the message that carries the file; NoSuchFileException otherwise. */
  async link(code: string, userId: string, fileId: string): Promise<FileLink> {
    const roomId = await this.roomIdOf(code, userId);
    const readableFrom = await this.rooms.readableFrom(roomId, userId);
    const found: unknown[] = await this.db.query(`SELECT 1 FROM files WHERE id = $1 AND room_id = $2 AND state = 'stored' AND message_seq > $3`, [fileId, roomId, readableFrom]);
    if (!found.length) throw new NoSuchFileException();
    const expiresAt = new Date(Date.now() + this.config.files.linkTtlSeconds * 1000);
    const url = await storageCall(() => this.storage.readLink(fileId, userId, expiresAt)).catch(this.logStorageFailure('link'));
    await this.audit.record({ event: 'file.link', actorId: userId, details: { fileId, roomId } });
    return { url, expiresAt: expiresAt.toISOString() };
  }

  /**
   * The local driver's download behind a link (docs/protocol.md §10.2): the link must be this user's
   * and unexpired (403, 410), the file stored and the user still a member of its room (404). Other
   * drivers serve their own links: 404.
   */
  async openDownload(fileId: string, userId: string, link: { expires?: string; sig?: string }): Promise<{ stream: Readable; bytes: number }> {
    const storage = this.storage;
    if (!(storage instanceof LocalFileStorage)) throw new NotFoundException('Downloads come from the storage’s own links with this server’s storage driver');
    const check = storage.checkLink(fileId, userId, link.expires, link.sig);
    if (check === 'bad-signature') throw new ForbiddenException('This link is not valid for you: ask for a new one');
    if (check === 'expired') throw new GoneException('Link expired: ask for a new one');
    if (!(await this.mayDownload(fileId, userId))) throw new NoSuchFileException();
    const object = await storageCall(() => storage.open(fileId));
    if (!object) throw new NoSuchFileException();
    return object;
  }

  /** Whether `userId` may fetch the file now: it is stored and they are a member of its room (the link's checks come first). */
  private async mayDownload(fileId: string, userId: string): Promise<boolean> {
    const [file]: Array<{ room_id: string }> = await this.db.query(`SELECT room_id FROM files WHERE id = $1 AND state = 'stored' AND room_id IS NOT NULL`, [fileId]);
    return file ? this.rooms.isMember(file.room_id, userId) : false;
  }

  async roomUsage(code: string, userId: string): Promise<RoomFileUsage> {
    const roomId = await this.roomIdOf(code, userId);
    const [row]: Array<{ files: number; bytes: string }> = await this.db.query(
      `SELECT count(*)::int AS files, coalesce(sum(bytes), 0)::bigint AS bytes FROM files WHERE room_id = $1 AND message_seq IS NOT NULL`,
      [roomId],
    );
    return { files: row!.files, bytes: Number(row!.bytes) };
  }

  async userUsage(userId: string): Promise<UserFileUsage> {
    return { usedBytes: await this.usedBytes(this.db.manager, userId), quotaBytes: this.config.files.quotaBytes };
  }

  /**
   * Removes pending uploads older than FILE_PENDING_MS, the files of deleted rooms, and failed
   * uploads whose removal did not finish. In two steps, so that a storage failure loses nothing:
   * the rows are marked 'deleting' (a send attaching one of them holds its row, so the sweep waits
   * and then leaves it), their objects deleted, and only then the rows; rows whose objects could not
   * be deleted stay marked, and the next sweep tries again.
   */
  async sweep(): Promise<void> {
    const chosen: Array<{ id: string; reason: 'pending-expired' | 'room-deleted' | 'upload-failed' }> = (
      await this.db.query(
        `UPDATE files SET state = 'deleting'
          WHERE state = 'deleting' OR room_id IS NULL OR (message_seq IS NULL AND created_at < now() - make_interval(secs => $1))
         RETURNING id, CASE WHEN room_id IS NULL THEN 'room-deleted'
                            WHEN message_seq IS NULL AND created_at < now() - make_interval(secs => $1) THEN 'pending-expired'
                            ELSE 'upload-failed' END AS reason`,
        [FILE_PENDING_MS / 1000],
      )
    )[0];
    await this.remove(chosen);
  }

  /**
   * What a room's files take: `count` and ciphertext `bytes` of the files its messages carry (as its
   * members see it), or with `pending` of every upload to it as well. In `tx` when given.
   */
  async roomTotals(roomId: string, { pending = false }: { pending?: boolean } = {}, tx: EntityManager = this.db.manager): Promise<{ count: number; bytes: number }> {
    const [row]: Array<{ count: number; bytes: string }> = await tx.query(
      `SELECT count(*)::int AS count, coalesce(sum(bytes), 0)::bigint AS bytes FROM files WHERE room_id = $1 AND ($2 OR message_seq IS NOT NULL)`,
      [roomId, pending],
    );
    return { count: row!.count, bytes: Number(row!.bytes) };
  }

  /**
   * Removes the objects and rows of every deleted room's files (room_id NULL), as the sweep does,
   * and resolves once they are gone: the admin API's room deletion job reports success only then.
   * A storage failure rejects (FileStorageUnavailable) and leaves the rows marked for a later try.
   */
  async purgeDeletedRooms(): Promise<void> {
    const chosen: Array<{ id: string; reason: 'room-deleted' }> = (
      await this.db.query(`UPDATE files SET state = 'deleting' WHERE room_id IS NULL RETURNING id, 'room-deleted' AS reason`)
    )[0];
    await this.remove(chosen);
  }

  /** Deletes the objects of rows marked 'deleting', then the rows, and audits how many went and why. */
  private async remove(chosen: Array<{ id: string; reason: 'pending-expired' | 'room-deleted' | 'upload-failed' }>): Promise<void> {
    if (!chosen.length) return;
    const ids = chosen.map((r) => r.id);
    await storageCall(() => this.storage.delete(ids));
    await this.db.query(`DELETE FROM files WHERE id = ANY($1::uuid[]) AND state = 'deleting'`, [ids]);
    for (const reason of ['pending-expired', 'room-deleted', 'upload-failed'] as const) {
      const count = chosen.filter((r) => r.reason === reason).length;
      if (count) await this.audit.record({ event: 'file.delete', details: { count, reason } });
    }
  }

  /**
   * In one transaction under a per-uploader lock (parallel uploads cannot all fit under the quota):
   * the number of uploads waiting for their message, the quota, then the row in state 'uploading'.
   * 409 past either limit or for an id already used.
   */
  private async admit(roomId: string, { uploaderId, fileId, mime, bytes }: UploadRequest): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`file-quota:${uploaderId}`]);
      const [{ pending }]: Array<{ pending: number }> = await tx.query(
        `SELECT count(*)::int AS pending FROM files WHERE uploader_id = $1 AND message_seq IS NULL AND state <> 'deleting'`,
        [uploaderId],
      );
      if (pending >= FILE_PENDING_PER_USER_MAX) {
        throw new ConflictException(`${pending} of your uploads are waiting for the message that carries them (at most ${FILE_PENDING_PER_USER_MAX}): send or cancel those first`);
      }
      const used = await this.usedBytes(tx, uploaderId);
      const { quotaBytes } = this.config.files;
      if (used + bytes > quotaBytes) {
        throw new ConflictException(`Storage quota exceeded: ${mib(used)} of ${mib(quotaBytes)} MiB used, this file needs ${mib(bytes)} MiB more`);
      }
      const inserted: unknown[] = await tx.query(
        `INSERT INTO files (id, room_id, uploader_id, mime, bytes, state) VALUES ($1, $2, $3, $4, $5, 'uploading') ON CONFLICT (id) DO NOTHING RETURNING id`,
        [fileId, roomId, uploaderId, mime, bytes],
      );
      if (!inserted.length) throw new ConflictException('This file id is already used: make a new one (and encrypt again: the id is part of the AAD)');
    });
  }

  /**
   * Streams the body through ByteLimit to the storage driver, never holding more than the streams'
   * buffers. A body that does not match Content-Length is a 400, a client that went away gets no
   * answer (UploadAbandoned), a driver failure is a 503.
   */
  private async receive({ fileId, bytes, body }: UploadRequest): Promise<void> {
    const limit = new ByteLimit(bytes);
    let failure: 'client' | 'length' | undefined;
    const abandon = () => {
      failure ??= 'client';
      limit.destroy(new UploadAbandoned());
    };
    // finished() also reports a body that was gone before this ran (the connection destroyed while
    // the guards ran), and one the parser read whole but whose connection died before its end was
    // delivered (a malformed request pipelined behind it).
    const stopWatching = finished(body, { writable: false }, (err) => err && abandon());
    limit.on('error', (err) => (failure ??= err instanceof BodyLengthError ? 'length' : undefined));
    body.pipe(limit);
    try {
      await this.storage.save(fileId, limit, bytes);
    } catch (err) {
      body.unpipe(limit);
      if (failure === 'client') throw new UploadAbandoned();
      if (failure === 'length') throw new BadRequestException(`The body is ${limit.bytes > bytes ? 'longer' : 'shorter'} than its Content-Length (${bytes} bytes)`);
      this.logStorageFailure('upload')(err instanceof FileStorageUnavailable ? err : new FileStorageUnavailable(err));
    } finally {
      stopWatching();
    }
  }

  /** Removes a failed upload's object, then its row; a failure on the way leaves the row marked for the sweeper to finish. */
  private async forget(fileId: string): Promise<void> {
    try {
      await this.db.query(`UPDATE files SET state = 'deleting' WHERE id = $1 AND message_seq IS NULL`, [fileId]);
      await storageCall(() => this.storage.delete([fileId]));
      await this.db.query(`DELETE FROM files WHERE id = $1 AND state = 'deleting'`, [fileId]);
    } catch (err) {
      this.log.warn(`a failed upload (${fileId}) is left for the sweeper: ${(err as Error).message}`);
    }
  }

  private async roomIdOf(code: string, userId: string): Promise<string> {
    return (await this.rooms.liveState(code, userId)).roomId;
  }

  private async usedBytes(tx: Pick<DataSource['manager'], 'query'>, uploaderId: string): Promise<number> {
    const [row]: Array<{ used: string }> = await tx.query(`SELECT coalesce(sum(bytes), 0)::bigint AS used FROM files WHERE uploader_id = $1 AND room_id IS NOT NULL`, [uploaderId]);
    return Number(row!.used);
  }

  private logStorageFailure(what: string): (err: FileStorageUnavailable) => never {
    return (err) => {
      const cause = err.cause instanceof Error ? err.cause.message : String(err.cause);
      this.log.warn(`file storage (${this.storage.name}) failed at ${what}: ${cause}`);
      throw err;
    };
  }
}

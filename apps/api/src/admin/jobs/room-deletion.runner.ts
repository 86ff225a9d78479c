import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap, Optional } from '@nestjs/common';
import { logFailure } from '../../database/background-work.js';
import { ClusterLocks } from '../../database/cluster-locks.js';
import { FilesService } from '../../files/files.service.js';
import { MessagesService } from '../../messages/messages.service.js';
import { AdminRoomsService } from '../../rooms/admin-rooms.service.js';
import { AuditService } from '../../security/audit/audit.service.js';
import { AdminJobsService, type RoomDeletionJob, type RoomDeletionResult } from './admin-jobs.service.js';

/** How often a failing deletion is tried, and the first pause between tries (doubled each time). */
export interface RetryPolicy {
  attempts: number;
  firstDelayMs: number;
}

export const ROOM_DELETION_RETRY = Symbol('ROOM_DELETION_RETRY');
const DEFAULT_RETRY: RetryPolicy = { attempts: 4, firstDelayMs: 2_000 };

/** How often (ms) every instance looks for unfinished jobs that no instance is running. */
export const ROOM_DELETION_RESCAN_MS = Symbol('ROOM_DELETION_RESCAN_MS');
const DEFAULT_RESCAN_MS = 30_000;

/**
 * Runs room deletion jobs (DELETE /api/admin/v1/rooms/:code answers 202 with the job at once).
 *
 * Why a job rather than a plain request: the room's rows go in one statement, but its files live in
 * the storage (a disk or a bucket), one object each; a room with thousands of files takes a while to
 * purge, a bucket may be unreachable for a moment, and a request must neither wait for that nor
 * answer 5xx when it happens. So the job is persisted (admin_jobs) and run here, in the process,
 * right after it is queued, one at a time; a job a stopped process left queued or running is
 * resumed at the next start.
 *
 * Several instances share the jobs: a job runs only under its own lock (ClusterLocks, held for all
 * its tries), so one instance runs it however many try. Every instance looks for unfinished jobs at
 * start and every 30 s and runs those whose lock is free: a job whose instance died (its lock went
 * with its connection) is finished by another. Every step can run again without harm:
 *   1. the room is deleted with its messages, members, keys and invites, and its members are told
 *      'removed' (their sockets leave it, as on an owner's removal); what was removed is recorded in
 *      the same transaction, so a resumed job knows it (and skips this step);
 *   2. the files rows the room left behind are purged with their objects (FilesService);
 *   3. only then is the job 'succeeded', with the counts; after the last of a few tries, with a
 *      pause doubling each time, it is 'failed' with the error (the files sweep still removes what
 *      is left later).
 */
@Injectable()
export class RoomDeletionRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('RoomDeletionJobs');
  private readonly retry: RetryPolicy;
  private readonly rescanMs: number;
  private rescan?: ReturnType<typeof setInterval>;
  private readonly stopping = new AbortController();
  private readonly scheduled = new Set<string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly jobs: AdminJobsService,
    private readonly rooms: AdminRoomsService,
    private readonly messages: MessagesService,
    private readonly files: FilesService,
    private readonly audit: AuditService,
    private readonly locks: ClusterLocks,
    @Optional() @Inject(ROOM_DELETION_RETRY) retry?: RetryPolicy,
    @Optional() @Inject(ROOM_DELETION_RESCAN_MS) rescanMs?: number,
  ) {
    this.retry = retry ?? DEFAULT_RETRY;
    this.rescanMs = rescanMs ?? DEFAULT_RESCAN_MS;
  }

  /** Resumes what a previous run (or a dead instance) left unfinished, now and every rescan interval, without holding up the start. */
  onApplicationBootstrap(): void {
    this.scan();
    this.rescan = setInterval(() => this.scan(), this.rescanMs);
    this.rescan.unref();
  }

  /** Stops between steps: an unfinished job stays queued or running, for the next start or another instance. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.rescan);
    this.stopping.abort();
    await this.settled();
  }

  /** Schedules every unfinished job; those another instance runs are passed over when their turn comes. */
  private scan(): void {
    if (this.stopping.signal.aborted) return;
    this.track(this.jobs.unfinished().then((ids) => ids.forEach((id) => this.schedule(id))));
  }

  /** Runs the job after those already scheduled (at most once at a time per job). */
  schedule(jobId: string): void {
    if (this.scheduled.has(jobId) || this.stopping.signal.aborted) return;
    this.scheduled.add(jobId);
    this.track(this.queue.then(() => this.run(jobId)).finally(() => this.scheduled.delete(jobId)));
  }

  /** Resolves once every scheduled job has finished (or stopped for the shutdown), those scheduled meanwhile included. */
  async settled(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.queue;
      await seen;
    } while (seen !== this.queue);
  }

  private track(work: Promise<void>): void {
    this.queue = Promise.allSettled([this.queue, work.catch(logFailure(this.log, 'a room deletion job'))]).then(() => undefined);
  }

  private async run(jobId: string): Promise<void> {
    const { ran } = await this.locks.runAlone(`room-deletion:${jobId}`, () => this.tries(jobId));
    if (!ran) this.log.debug(`room deletion job ${jobId} is being run by another instance`);
  }

  /** The job's tries, under its lock. */
  private async tries(jobId: string): Promise<void> {
    for (let attempt = 1; !this.stopping.signal.aborted; attempt++) {
      const job = await this.jobs.beginAttempt(jobId);
      if (!job) return;
      try {
        const removed = job.removed ?? (await this.deleteRoom(job));
        await this.files.purgeDeletedRooms();
        // Audited by whoever moves the job to succeeded, so once, even if a retry or a second runner got here too.
        if (!(await this.jobs.succeed(jobId))) return;
        await this.audit.record({
          event: 'room.deleted',
          actorId: job.requestedBy.actorId,
          tokenId: job.requestedBy.tokenId,
          target: job.target.roomId,
          details: { roomId: job.target.roomId, code: job.target.code, jobId, ...removed },
        });
        return;
      } catch (err) {
        const reason = describe(err);
        if (attempt >= this.retry.attempts) {
          this.log.warn(`room deletion job ${jobId} failed after ${attempt} tries: ${reason}`);
          await this.jobs.fail(jobId, reason);
          return;
        }
        const delayMs = this.retry.firstDelayMs * 2 ** (attempt - 1);
        this.log.warn(`room deletion job ${jobId}: try ${attempt} of ${this.retry.attempts} failed (${reason}); trying again in ${delayMs} ms`);
        await this.pause(delayMs);
      }
    }
  }

  /** Step 1: the room goes; the counts are taken under its lock and recorded with the deletion. Zeros when it was already gone. */
  private async deleteRoom(job: RoomDeletionJob): Promise<RoomDeletionResult> {
    let removed: RoomDeletionResult = { members: 0, messages: 0, files: 0, fileBytes: 0 };
    const deleted = await this.rooms.deleteRoom(job.target.roomId, async (tx, memberIds) => {
      const files = await this.files.roomTotals(job.target.roomId, { pending: true }, tx);
      removed = { members: memberIds.length, messages: await this.messages.countOf(job.target.roomId, tx), files: files.count, fileBytes: files.bytes };
      await this.jobs.recordRemoval(job.id, removed, tx);
    });
    if (!deleted) await this.jobs.recordRemoval(job.id, removed);
    return removed;
  }

  private pause(ms: number): Promise<void> {
    const signal = this.stopping.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
    });
  }
}

/** The error as the job shows it: the message, and the cause's (the storage driver's own words). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}

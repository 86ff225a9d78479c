import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AdminJob } from '@conclave/contracts';
import type { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '../../auth/principal/principal.js';
import type { RoomRef } from '../../rooms/admin-rooms.service.js';

export type RoomDeletionResult = NonNullable<AdminJob['result']>;

/** A room deletion job as stored (admin_jobs, the admin module's table). */
export interface RoomDeletionJob {
  id: string;
  state: AdminJob['state'];
  target: { roomId: string; code: string };
  requestedBy: Actor;
  attempts: number;
  /** Written in the transaction that deleted the room (the counts cannot be read afterwards); shown once the job succeeded. */
  removed: RoomDeletionResult | null;
}

interface JobRow {
  id: string;
  kind: 'room-deletion';
  state: AdminJob['state'];
  target: { roomId: string; code: string };
  requested_by: Actor;
  created_at: Date;
  finished_at: Date | null;
  attempts: number;
  result: RoomDeletionResult | null;
  error: string | null;
}

const COLUMNS = 'id, kind, state, target, requested_by, created_at, finished_at, attempts, result, error';

/** admin_jobs: the persisted state of the admin API's asynchronous work (room deletions). */
@Injectable()
export class AdminJobsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Queues the deletion of a room, or returns the one already queued or running for it (asking
   * twice deletes once). `created` says which.
   */
  async queueRoomDeletion(room: RoomRef, by: Actor): Promise<{ job: AdminJob; created: boolean }> {
    return this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`admin-job:room-deletion:${room.id}`]);
      const [existing]: JobRow[] = await tx.query(
        `SELECT ${COLUMNS} FROM admin_jobs WHERE kind = 'room-deletion' AND state IN ('queued', 'running') AND target->>'roomId' = $1 ORDER BY created_at LIMIT 1`,
        [room.id],
      );
      if (existing) return { job: toJob(existing), created: false };
      const [inserted]: JobRow[] = await tx.query(`INSERT INTO admin_jobs (kind, target, requested_by) VALUES ('room-deletion', $1, $2) RETURNING ${COLUMNS}`, [
        { roomId: room.id, code: room.code },
        by,
      ]);
      return { job: toJob(inserted!), created: true };
    });
  }

  /** The job as the API shows it; 404 for an unknown id. */
  async get(jobId: string): Promise<AdminJob> {
    const [row]: JobRow[] = await this.db.query(`SELECT ${COLUMNS} FROM admin_jobs WHERE id = $1`, [jobId]);
    if (!row) throw new NotFoundException('No admin job has this id');
    return toJob(row);
  }

  /** Jobs a previous run of the process left queued or running, oldest first. */
  async unfinished(): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db.query(`SELECT id FROM admin_jobs WHERE state IN ('queued', 'running') ORDER BY created_at, id`);
    return rows.map((r) => r.id);
  }

  /** One more attempt of an unfinished job: running, attempts + 1. Undefined when it is finished (or unknown). */
  async beginAttempt(jobId: string): Promise<RoomDeletionJob | undefined> {
    const [[row]]: [JobRow[], number] = await this.db.query(
      `UPDATE admin_jobs SET state = 'running', started_at = coalesce(started_at, now()), attempts = attempts + 1
        WHERE id = $1 AND state IN ('queued', 'running') RETURNING ${COLUMNS}`,
      [jobId],
    );
    return row && { id: row.id, state: row.state, target: row.target, requestedBy: row.requested_by, attempts: row.attempts, removed: row.result };
  }

  /** What the deletion removed, in the transaction that deletes the room (or on its own when the room was already gone). */
  async recordRemoval(jobId: string, removed: RoomDeletionResult, tx: EntityManager = this.db.manager): Promise<void> {
    // Written once: a second runner of the same job (or a retry that finds the room gone) must not replace the real counts with zeros.
    await tx.query(`UPDATE admin_jobs SET result = $2 WHERE id = $1 AND result IS NULL`, [jobId, removed]);
  }

  /** running → succeeded; false when the job was not running (another runner finished it first). */
  async succeed(jobId: string): Promise<boolean> {
    const [rows]: [unknown[], number] = await this.db.query(
      `UPDATE admin_jobs SET state = 'succeeded', finished_at = now(), error = NULL WHERE id = $1 AND state = 'running' RETURNING id`,
      [jobId],
    );
    return rows.length > 0;
  }

  /** running → failed (never a job that succeeded meanwhile). */
  async fail(jobId: string, error: string): Promise<void> {
    await this.db.query(`UPDATE admin_jobs SET state = 'failed', finished_at = now(), error = $2 WHERE id = $1 AND state = 'running'`, [jobId, error]);
  }
}

function toJob(row: JobRow): AdminJob {
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    target: { roomId: row.target.roomId, code: row.target.code },
    createdAt: row.created_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    // Written when the room went, before its files were purged: reported only once everything is gone.
    result: row.state === 'succeeded' ? row.result : null,
    error: row.error,
  };
}

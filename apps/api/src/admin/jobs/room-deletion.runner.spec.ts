import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import pg from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { ExternalPostgres } from '../../../../../test/support/postgres.js';
import { ClusterLocks } from '../../database/cluster-locks.js';
import { DATABASE_POOL } from '../../database/database-pool.js';
import { dataSourceOptions } from '../../database/data-source-options.js';
import { FileStorageUnavailable } from '../../files/files.errors.js';
import { FilesService } from '../../files/files.service.js';
import { MessagesService } from '../../messages/messages.service.js';
import { AdminRoomsService } from '../../rooms/admin-rooms.service.js';
import { AuditEvent } from '../../security/audit/audit-event.entity.js';
import { AuditService } from '../../security/audit/audit.service.js';
import { AdminJobsService } from './admin-jobs.service.js';
import { ROOM_DELETION_RESCAN_MS, ROOM_DELETION_RETRY, RoomDeletionRunner, type RetryPolicy } from './room-deletion.runner.js';

/**
 * The room deletion job's state machine, in process, on a real PostgreSQL (admin_jobs and the audit
 * log as migrated): queued → running → succeeded or failed, retries with backoff, a resumed job
 * skipping what it already did, resumption at start, and a shutdown that leaves an unfinished job
 * for the next start. The rooms, messages and files modules are stood in for: they are other
 * modules, exercised for real by test/api/admin-rooms.e2e-spec.ts; here their failures are chosen.
 */

const ADMIN = '3f2c8e1a-2b4d-4c6e-9a7b-1d2e3f4a5b6c';
const TOKEN = '8d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a';

let postgres: ExternalPostgres;
let url: string;

/** The rooms module's deletion as the job sees it: `measure` runs in a real transaction, once, while the room exists. */
class RoomsStandIn {
  readonly existing = new Set<string>();
  deletions = 0;
  constructor(private readonly db: () => DataSource) {}
  async deleteRoom(roomId: string, measure: (tx: EntityManager, memberIds: string[]) => Promise<void>) {
    this.deletions++;
    if (!this.existing.has(roomId)) return undefined;
    await this.db().transaction((tx) => measure(tx, ['m1', 'm2', 'm3']));
    this.existing.delete(roomId);
    return { code: 'K7QX', memberIds: ['m1', 'm2', 'm3'] };
  }
}

/** The files module: totals, and a purge that fails as many times as told (as a full disk or an unreachable bucket would). */
class FilesStandIn {
  failuresLeft = 0;
  purges = 0;
  /** How long a purge takes (a room with many files). */
  purgeMs = 0;
  /** What the purge saw of the job while it ran. */
  seen: Array<{ state: string; result: unknown }> = [];
  constructor(private readonly db: () => DataSource) {}
  async roomTotals(_roomId: string, { pending }: { pending?: boolean }) {
    if (!pending) throw new Error('the deletion counts every file of the room, waiting uploads included');
    return { count: 2, bytes: 300 };
  }
  async purgeDeletedRooms() {
    this.purges++;
    await new Promise((r) => setTimeout(r, this.purgeMs));
    this.seen.push(...(await this.db().query(`SELECT state, result FROM admin_jobs ORDER BY created_at DESC LIMIT 1`)));
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new FileStorageUnavailable(new Error('EIO: the disk is failing'));
    }
  }
}

interface Harness {
  app: INestApplicationContext;
  db: DataSource;
  jobs: AdminJobsService;
  runner: RoomDeletionRunner;
  rooms: RoomsStandIn;
  files: FilesStandIn;
}

/** The runner on the database, with stand-ins `prepare` sets up before the start resumes anything. */
async function start(
  retry: RetryPolicy = { attempts: 3, firstDelayMs: 5 },
  prepare: (rooms: RoomsStandIn) => void = () => undefined,
  rescanMs = 60_000,
): Promise<Harness> {
  let db!: DataSource;
  const rooms = new RoomsStandIn(() => db);
  const files = new FilesStandIn(() => db);
  prepare(rooms);
  @Module({
    imports: [TypeOrmModule.forRoot({ ...dataSourceOptions(url), entities: [AuditEvent] }), TypeOrmModule.forFeature([AuditEvent])],
    providers: [
      AdminJobsService,
      RoomDeletionRunner,
      AuditService,
      { provide: AdminRoomsService, useValue: rooms },
      { provide: MessagesService, useValue: { countOf: async () => 7 } },
      { provide: FilesService, useValue: files },
      { provide: ROOM_DELETION_RETRY, useValue: retry },
      { provide: ROOM_DELETION_RESCAN_MS, useValue: rescanMs },
      { provide: DATABASE_POOL, inject: [getDataSourceToken()], useFactory: (db: DataSource) => (db.driver as unknown as { master: pg.Pool }).master },
      ClusterLocks,
    ],
  })
  class RunnerSpecModule {}
  const app = await NestFactory.createApplicationContext(RunnerSpecModule, { logger: false });
  db = app.get<DataSource>(getDataSourceToken());
  return { app, db, jobs: app.get(AdminJobsService), runner: app.get(RoomDeletionRunner), rooms, files };
}

const room = () => ({ id: randomUUID(), code: 'K7QX' });
const by = { actorId: ADMIN, tokenId: TOKEN };

async function row(db: DataSource, jobId: string) {
  const [job] = await db.query(`SELECT state, attempts, result, error, started_at, finished_at FROM admin_jobs WHERE id = $1`, [jobId]);
  return job;
}

/** A statement on the database outside any running app (between a shutdown and the next start). */
async function query(text: string, values: unknown[] = []): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  postgres = await ExternalPostgres.start();
  url = await postgres.createDatabase('jobs');
  // The schema as a server's start leaves it (every migration).
  await (await new DataSource(dataSourceOptions(url)).initialize()).destroy();
}, 120_000);

afterAll(async () => {
  await postgres?.stop();
});

describe('RoomDeletionRunner', () => {
  let h: Harness;

  beforeEach(async () => {
    await query(`DELETE FROM admin_jobs`);
    h = await start();
  });

  afterEach(async () => {
    await h.app.close();
  });

  it('runs a queued job: running while it works, succeeded with the counts once the files are purged', async () => {
    const target = room();
    h.rooms.existing.add(target.id);
    const { job, created } = await h.jobs.queueRoomDeletion(target, by);
    expect(created).toBe(true);
    expect(job).toMatchObject({ state: 'queued', result: null, finishedAt: null, target: { roomId: target.id, code: 'K7QX' } });
    h.runner.schedule(job.id);
    await h.runner.settled();

    const counts = { members: 3, messages: 7, files: 2, fileBytes: 300 };
    // The counts were recorded with the room's deletion, before the purge; the job was running then.
    expect(h.files.seen).toEqual([{ state: 'running', result: counts }]);
    expect(await h.jobs.get(job.id)).toEqual({ ...job, state: 'succeeded', finishedAt: expect.any(String), result: counts });
    expect(await row(h.db, job.id)).toMatchObject({ state: 'succeeded', attempts: 1, error: null });
    const audit = await h.db.query(`SELECT actor_id, token_id, target, details FROM audit_log WHERE event = 'room.deleted' AND target = $1`, [target.id]);
    expect(audit).toEqual([{ actor_id: ADMIN, token_id: TOKEN, target: target.id, details: { roomId: target.id, code: 'K7QX', jobId: job.id, ...counts } }]);
  });

  it('finishes a job once: a second runner (or a late retry) neither replaces its counts, nor fails it, nor audits it again', async () => {
    const target = room();
    h.rooms.existing.add(target.id);
    const { job } = await h.jobs.queueRoomDeletion(target, by);
    h.runner.schedule(job.id);
    await h.runner.settled();
    const finished = await h.jobs.get(job.id);
    // What a second runner of the same job would do after the first finished it.
    await h.jobs.recordRemoval(job.id, { members: 0, messages: 0, files: 0, fileBytes: 0 });
    await h.jobs.fail(job.id, 'a late failure');
    expect(await h.jobs.succeed(job.id)).toBe(false);
    expect(await h.jobs.get(job.id)).toEqual(finished);
    h.runner.schedule(job.id);
    await h.runner.settled();
    expect(await h.db.query(`SELECT 1 FROM audit_log WHERE event = 'room.deleted' AND target = $1`, [target.id])).toHaveLength(1);
  });

  it('shows no result while the job is unfinished, and returns the job under way when asked again', async () => {
    const target = room();
    const first = await h.jobs.queueRoomDeletion(target, by);
    const second = await h.jobs.queueRoomDeletion(target, by);
    expect(second).toEqual({ job: first.job, created: false });
    await h.jobs.recordRemoval(first.job.id, { members: 1, messages: 1, files: 0, fileBytes: 0 });
    expect((await h.jobs.get(first.job.id)).result).toBeNull();
  });

  it('tries a failing purge again after a pause, without deleting the room twice, and succeeds when the storage recovers', async () => {
    const target = room();
    h.rooms.existing.add(target.id);
    h.files.failuresLeft = 2;
    const { job } = await h.jobs.queueRoomDeletion(target, by);
    h.runner.schedule(job.id);
    await h.runner.settled();
    expect(h.files.purges).toBe(3);
    expect(h.rooms.deletions).toBe(1);
    expect(await row(h.db, job.id)).toMatchObject({ state: 'succeeded', attempts: 3, error: null, result: { members: 3, messages: 7, files: 2, fileBytes: 300 } });
  });

  it('fails with the storage error after the last try, and says why', async () => {
    const target = room();
    h.rooms.existing.add(target.id);
    h.files.failuresLeft = 99;
    const { job } = await h.jobs.queueRoomDeletion(target, by);
    h.runner.schedule(job.id);
    await h.runner.settled();
    expect(h.files.purges).toBe(3);
    expect(h.rooms.deletions).toBe(1);
    const failed = await h.jobs.get(job.id);
    expect(failed).toMatchObject({ state: 'failed', result: null, error: 'file storage unavailable: EIO: the disk is failing', finishedAt: expect.any(String) });
    expect(await row(h.db, job.id)).toMatchObject({ attempts: 3 });
    // A finished job is not run again.
    h.runner.schedule(job.id);
    await h.runner.settled();
    expect(h.files.purges).toBe(3);
  });

  it('records zeros for a room that was already gone (its last member left), and still purges', async () => {
    const { job } = await h.jobs.queueRoomDeletion(room(), by);
    h.runner.schedule(job.id);
    await h.runner.settled();
    expect(await h.jobs.get(job.id)).toMatchObject({ state: 'succeeded', result: { members: 0, messages: 0, files: 0, fileBytes: 0 } });
    expect(h.files.purges).toBe(1);
  });
});

describe('RoomDeletionRunner at start and at shutdown', () => {
  beforeEach(async () => {
    await query(`DELETE FROM admin_jobs`);
  });

  it('resumes the jobs a stopped process left queued or running, skipping a deletion already done, and leaves finished ones alone', async () => {
    const seed = await start();
    const queued = room();
    const crashed = room();
    const done = room();
    const a = (await seed.jobs.queueRoomDeletion(queued, by)).job;
    const b = (await seed.jobs.queueRoomDeletion(crashed, by)).job;
    const c = (await seed.jobs.queueRoomDeletion(done, by)).job;
    // b: the process died after the room went (counts recorded), before its files were purged.
    await seed.db.query(`UPDATE admin_jobs SET state = 'running', attempts = 1, started_at = now(), result = $2 WHERE id = $1`, [b.id, { members: 5, messages: 50, files: 4, fileBytes: 4096 }]);
    await seed.db.query(`UPDATE admin_jobs SET state = 'succeeded', attempts = 1, finished_at = now(), result = $2 WHERE id = $1`, [c.id, { members: 1, messages: 0, files: 0, fileBytes: 0 }]);
    await seed.app.close();

    // The next start: only `queued`'s room still exists.
    const next = await start(undefined, (rooms) => rooms.existing.add(queued.id));
    await next.runner.settled();
    expect(await row(next.db, a.id)).toMatchObject({ state: 'succeeded', attempts: 1, result: { members: 3, messages: 7, files: 2, fileBytes: 300 } });
    expect(await row(next.db, b.id)).toMatchObject({ state: 'succeeded', attempts: 2, result: { members: 5, messages: 50, files: 4, fileBytes: 4096 } });
    expect(await row(next.db, c.id)).toMatchObject({ state: 'succeeded', attempts: 1 });
    // The room of `queued` was deleted; `crashed` skipped the deletion it had done.
    expect(next.rooms.deletions).toBe(1);
    await next.app.close();
  });

  it('stops at shutdown during a pause between tries, leaving the job running for the next start', async () => {
    const h = await start({ attempts: 5, firstDelayMs: 60_000 });
    const target = room();
    h.rooms.existing.add(target.id);
    h.files.failuresLeft = 1;
    const { job } = await h.jobs.queueRoomDeletion(target, by);
    h.runner.schedule(job.id);
    for (let i = 0; i < 200 && h.files.purges === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const closing = Date.now();
    await h.app.close();
    expect(Date.now() - closing).toBeLessThan(30_000);
    expect(await query(`SELECT state, attempts FROM admin_jobs WHERE id = $1`, [job.id])).toEqual([{ state: 'running', attempts: 1 }]);
    // The next start resumes it (its room's deletion was recorded: not done again) and finishes it.
    const again = await start();
    await again.runner.settled();
    expect(await row(again.db, job.id)).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(again.rooms.deletions).toBe(0);
    await again.app.close();
  });
});

describe('RoomDeletionRunner on several instances (one database)', () => {
  beforeEach(async () => {
    await query(`DELETE FROM admin_jobs`);
  });

  it('runs a job once when two runners take it up at the same moment: one deletion, one purge, one audit row, attempts 1', async () => {
    const target = room();
    const [one, two] = await Promise.all([start(), start()]);
    try {
      for (const h of [one, two]) {
        h.rooms.existing.add(target.id);
        h.files.purgeMs = 300;
      }
      const { job } = await one.jobs.queueRoomDeletion(target, by);
      one.runner.schedule(job.id);
      two.runner.schedule(job.id);
      await Promise.all([one.runner.settled(), two.runner.settled()]);
      expect(await row(one.db, job.id)).toMatchObject({ state: 'succeeded', attempts: 1 });
      expect(one.rooms.deletions + two.rooms.deletions).toBe(1);
      expect(one.files.purges + two.files.purges).toBe(1);
      expect(await one.db.query(`SELECT 1 FROM audit_log WHERE event = 'room.deleted' AND target = $1`, [target.id])).toHaveLength(1);
    } finally {
      await Promise.all([one.app.close(), two.app.close()]);
    }
  });

  it('finishes, at its next rescan, a job another instance left running (its lock gone with it)', async () => {
    const seed = await start();
    const target = room();
    const { job } = await seed.jobs.queueRoomDeletion(target, by);
    // An instance began it, recorded the room's removal and died before the purge.
    await seed.db.query(`UPDATE admin_jobs SET state = 'running', attempts = 1, started_at = now(), result = $2 WHERE id = $1`, [job.id, { members: 2, messages: 9, files: 1, fileBytes: 10 }]);
    await seed.app.close();
    // Held at first, as by a live instance: passed over, at start and at every rescan while held.
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    pool.on('error', () => undefined);
    let release!: () => void;
    let holding!: () => void;
    const taken = new Promise<void>((r) => (holding = r));
    const held = new ClusterLocks(pool).runAlone(`room-deletion:${job.id}`, () => {
      holding();
      return new Promise<void>((r) => (release = r));
    });
    await taken;
    const other = await start(undefined, undefined, 100);
    try {
      await new Promise((r) => setTimeout(r, 500));
      await other.runner.settled();
      expect(await row(other.db, job.id)).toMatchObject({ state: 'running', attempts: 1 });
      expect(other.files.purges).toBe(0);
      release();
      await held;
      await pool.end();
      for (let i = 0; i < 100 && (await row(other.db, job.id)).state === 'running'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await row(other.db, job.id)).toMatchObject({ state: 'succeeded', attempts: 2, result: { members: 2, messages: 9, files: 1, fileBytes: 10 } });
      expect(other.files.purges).toBe(1);
    } finally {
      await other.app.close();
    }
  });
});

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ADMIN_API_PREFIX, ADMIN_PATHS, type AdminJob } from '@conclave/contracts';
import pg from 'pg';
import request from 'supertest';
import { FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { bearer } from '../support/api-tokens.js';
import { createRoom } from '../support/membership.js';
import { MIGRATION_NAMES } from '../support/migrations.js';
import { sqlAt } from '../support/db.js';
import { ExternalPostgres } from '../support/postgres.js';
import { ServerProcess } from '../support/server.js';

/**
 * Work that must happen once however many instances share one DATABASE_URL (README "Several
 * instances"), with two real instances on one PostgreSQL: the migrations at start, and the admin's
 * room deletion jobs, which another instance finishes when the one running it dies.
 */

let postgres: ExternalPostgres;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What several instances must share (each would otherwise make its own in its DATA_DIR). */
const SHARED_SECRETS = {
  SESSION_SECRET: randomBytes(32).toString('base64'),
  LOGIN_DEVICE_SECRET: randomBytes(32).toString('base64'),
  FILE_LINK_SECRET: randomBytes(32).toString('base64'),
};

const query = sqlAt;

beforeAll(async () => {
  postgres = await ExternalPostgres.start();
}, 120_000);

afterAll(async () => {
  await postgres?.stop();
});

describe('two instances started at once on one empty database', () => {
  const servers: ServerProcess[] = [];

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('both come up, and the schema is migrated once: every migration listed once', async () => {
    const url = await postgres.createDatabase('started_together');
    const env = { ...FAST_AUTH_ENV, ...SHARED_SECRETS, DATABASE_URL: url };
    // Lines the two starts up at the first statement that changes the schema, so that they race
    // every time rather than when the machine's timing happens to overlap them: an uncommitted
    // CREATE TABLE of the migrations table holds back whoever creates it too, until it is rolled back.
    const gate = new pg.Client({ connectionString: url });
    await gate.connect();
    try {
      await gate.query(`BEGIN`);
      await gate.query(`CREATE TABLE migrations (id integer)`);
      const starting = [ServerProcess.start({ env }), ServerProcess.start({ env })];
      const exited = Promise.race(starting).then(() => undefined, () => undefined);
      const bothWaiting = async () => {
        // Asked outside the gate's transaction, which would see one snapshot of the activity.
        const [{ n }] = await query<{ n: number }>(url, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
        return n >= 2;
      };
      for (let deadline = Date.now() + 60_000; !(await bothWaiting()) && Date.now() < deadline; ) {
        if (await Promise.race([exited.then(() => true), sleep(100).then(() => false)])) break;
      }
      await gate.query(`ROLLBACK`);
      const started = await Promise.allSettled(starting);
      for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
      expect(started.map((r) => (r.status === 'rejected' ? String(r.reason).slice(0, 3000) : 'up'))).toEqual(['up', 'up']);
    } finally {
      await gate.end();
    }
    const migrations = await query<{ name: string }>(url, `SELECT name FROM migrations ORDER BY id`);
    expect(migrations.map((m) => m.name)).toEqual(MIGRATION_NAMES);
  });
});

describe('room deletion jobs on two instances sharing the database', () => {
  let url: string;
  let a: ServerProcess;
  let b: ServerProcess | undefined;
  let token: string;
  let admin: { account: Awaited<ReturnType<typeof newAccount>>; rest: Awaited<ReturnType<typeof registeredClient>> };
  // A job held up on a locked room must not time out and try again on its own while the test watches.
  const env = () => ({ ...FAST_AUTH_ENV, ...SHARED_SECRETS, DATABASE_URL: url, DATABASE_STATEMENT_TIMEOUT_MS: '120000' });

  beforeAll(async () => {
    url = await postgres.createDatabase('jobs_across_instances');
    a = await ServerProcess.start({ env: env() });
    const account = await newAccount('ada');
    admin = { account, rest: await registeredClient(a, account) };
    await query(url, `UPDATE users SET is_admin = true WHERE id = $1`, [account.userId]);
    // An API token as ApiTokensService stores one (the SHA-256 of its secret).
    const id = randomUUID();
    const secret = randomBytes(32).toString('base64url');
    await query(url, `INSERT INTO api_tokens (id, name, secret_sha256, scopes, created_by, expires_at) VALUES ($1, 'jobs', $2, $3, $4, now() + interval '1 day')`, [
      id,
      createHash('sha256').update(secret).digest(),
      ['rooms:read', 'rooms:write'],
      account.userId,
    ]);
    token = `cnk_${id.replaceAll('-', '')}_${secret}`;
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  /** A room on A whose row the returned client holds locked (FOR UPDATE), so that its deletion job waits at its first step. */
  async function heldRoom(name: string) {
    const room = await createRoom(a, admin, { name, history: 'shared' });
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    await holder.query(`BEGIN`);
    await holder.query(`SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE`, [room.id]);
    return { room, release: async () => holder.query(`ROLLBACK`).finally(() => holder.end()) };
  }

  async function deleteOn(server: ServerProcess, code: string): Promise<AdminJob> {
    const res = await request(server.origin).delete(`/${ADMIN_API_PREFIX}/${ADMIN_PATHS.room.replace(':code', code)}`).ca(server.certificate).set(bearer(token)).expect(202);
    return res.body as AdminJob;
  }

  const jobRow = async (id: string) => (await query<{ state: string; attempts: number }>(url, `SELECT state, attempts FROM admin_jobs WHERE id = $1`, [id]))[0]!;
  const deletedAudits = async (roomId: string) => query(url, `SELECT 1 FROM audit_log WHERE event = 'room.deleted' AND target = $1`, [roomId]);

  it('runs a job queued on A once, although B, started while A runs it, takes it up too', async () => {
    const { room, release } = await heldRoom('Once');
    let job: AdminJob;
    try {
      job = await deleteOn(a, room.code);
      await until('A to begin the job', async () => (await jobRow(job.id)).state === 'running');
      // B looks for unfinished jobs as it starts (LOG_LEVEL=debug shows it passing over the one A holds).
      b = await ServerProcess.start({ env: { ...env(), LOG_LEVEL: 'debug' } });
      await until('B to pass over the job A holds', async () => b!.stdout.includes(`room deletion job ${job.id} is being run by another instance`));
    } finally {
      await release();
    }
    await until('the job to finish', async () => (await jobRow(job.id)).state !== 'running');
    expect(await jobRow(job.id)).toEqual({ state: 'succeeded', attempts: 1 });
    expect(await deletedAudits(room.id)).toHaveLength(1);
  });

  it('has B finish a job whose instance died (kill -9) in the middle of it, within its 30 s rescan', async () => {
    const { room, release } = await heldRoom('Orphaned');
    let job: AdminJob;
    let attemptsOnA: number;
    try {
      job = await deleteOn(a, room.code);
      await until('A to begin the job', async () => (await jobRow(job.id)).state === 'running');
      attemptsOnA = (await jobRow(job.id)).attempts;
      await a.stop('SIGKILL');
    } finally {
      await release();
    }
    // B rescans every 30 s; A's lock went with its connection.
    await until('B to finish the job', async () => (await jobRow(job.id)).state !== 'running', 45_000);
    expect(await jobRow(job.id)).toEqual({ state: 'succeeded', attempts: attemptsOnA + 1 });
    expect(await deletedAudits(room.id)).toHaveLength(1);
    expect(await query(url, `SELECT 1 FROM rooms WHERE id = $1`, [room.id])).toEqual([]);
  }, 90_000);
});

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(150);
  }
}

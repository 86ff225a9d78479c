import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { FAST_AUTH_ENV } from '../support/accounts.js';
import { MIGRATION_NAMES } from '../support/migrations.js';
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

async function query<T = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

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

import pg from 'pg';
import { ExternalPostgres } from '../../../../test/support/postgres.js';
import { ClusterLocks } from './cluster-locks.js';

/**
 * ClusterLocks on a real PostgreSQL, with one pool per "instance" as two processes would have:
 * who runs when both ask, the lock freed after the work (also a failed one), and a holder whose
 * connection is killed, which must neither crash the process nor keep the lock.
 */

let postgres: ExternalPostgres;
let url: string;
const pools: pg.Pool[] = [];

/** An instance's pool (with the idle-error listener every pool has) and its locks. */
function instance(): { pool: pg.Pool; locks: ClusterLocks } {
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  pool.on('error', () => undefined);
  pools.push(pool);
  return { pool, locks: new ClusterLocks(pool) };
}

/** A promise the test settles: work that runs until told to finish. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

async function holders(name: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      `SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
          AND ((l.classid::bigint << 32) | l.objid::bigint) = (hashtextextended('conclave:' || $1, 0) & x'ffffffffffffffff'::bigint)`,
      [name],
    );
    return rows.map((r) => r.pid);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  postgres = await ExternalPostgres.start();
  url = await postgres.createDatabase('locks');
}, 120_000);

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await postgres?.stop();
});

describe('ClusterLocks.runAlone', () => {
  it('runs the work of one of two instances asking for the same lock; the other is told it did not run', async () => {
    const a = instance();
    const b = instance();
    const working = gate();
    let bRan = false;
    const first = a.locks.runAlone('sweep', async () => {
      await working.promise;
      return 'swept';
    });
    await until(async () => (await holders('sweep')).length === 1);
    expect(await b.locks.runAlone('sweep', async () => (bRan = true))).toEqual({ ran: false });
    expect(bRan).toBe(false);
    // Another name is another lock.
    expect(await b.locks.runAlone('prune', async () => 7)).toEqual({ ran: true, value: 7 });
    working.open();
    expect(await first).toEqual({ ran: true, value: 'swept' });
    // Freed after the work: the other instance runs now, and its work's value comes back.
    expect(await holders('sweep')).toEqual([]);
    expect(await b.locks.runAlone('sweep', async () => ({ removed: 3 }))).toEqual({ ran: true, value: { removed: 3 } });
    // Every client went back to its pool.
    expect([a.pool.idleCount, a.pool.totalCount]).toEqual([1, 1]);
  });

  it('frees the lock when the work throws, and passes the error on', async () => {
    const a = instance();
    const b = instance();
    const failure = new Error('the bucket is unreachable');
    await expect(
      a.locks.runAlone('purge', async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await holders('purge')).toEqual([]);
    expect(await b.locks.runAlone('purge', async () => 'purged')).toEqual({ ran: true, value: 'purged' });
    // The connection was fine (the work failed, not the database): it stays in the pool.
    expect(a.pool.totalCount).toBe(1);
  });

  it('survives its connection being terminated while it holds the lock: the lock is free for another instance, the broken client is dropped', async () => {
    const a = instance();
    const b = instance();
    const working = gate();
    const first = a.locks.runAlone('jobs', async () => {
      await working.promise;
      return 'finished anyway';
    });
    await until(async () => (await holders('jobs')).length === 1);
    const [pid] = await holders('jobs');
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`SELECT pg_terminate_backend($1)`, [pid]);
    await admin.end();
    // The holder's 'error' event has been heard (without a listener it would have ended this process).
    await until(async () => (await holders('jobs')).length === 0);
    expect(await b.locks.runAlone('jobs', async () => 'taken over')).toEqual({ ran: true, value: 'taken over' });
    working.open();
    expect(await first).toEqual({ ran: true, value: 'finished anyway' });
    // Given back broken, destroyed rather than handed out again; the next call gets a fresh connection.
    expect(a.pool.totalCount).toBe(0);
    expect(await a.locks.runAlone('jobs', async () => 'again')).toEqual({ ran: true, value: 'again' });
  });
});

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

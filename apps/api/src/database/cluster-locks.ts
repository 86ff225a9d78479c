import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import { DATABASE_POOL } from './database-pool.js';

/** What runAlone did: the work's value when this instance held the lock, nothing when another did. */
export type RunAloneResult<T> = { ran: true; value: T } | { ran: false };

/** The advisory lock key of a name ($1): the same on every instance, in the `conclave:` namespace. */
export const LOCK_KEY = `hashtextextended('conclave:' || $1, 0)`;

/**
 * Work that must run on one instance at a time however many share the database (the files sweep,
 * a room deletion job, the prunes): a PostgreSQL session-level advisory lock, held on a connection
 * of its own for as long as the work runs (the work itself uses the pool's other connections).
 *
 * The lock lives and dies with that connection: an instance that dies (kill -9, a lost network)
 * frees it once PostgreSQL sees the connection gone, so another instance can take the work over.
 * A connection that breaks while held (a database restart, pg_terminate_backend) is reported on its
 * 'error' event, which a checked-out pg client has no listener for: one is added here, or the
 * process would end. The broken client is given back with its error, so the pool destroys it
 * rather than hand it out again; so is one whose lock statement failed (its lock is in doubt).
 */
@Injectable()
export class ClusterLocks {
  private readonly log = new Logger('ClusterLocks');

  constructor(@Inject(DATABASE_POOL) private readonly pool: Pool) {}

  /** Runs `work` if no instance holds the lock `name`, then frees it (also when the work throws). */
  async runAlone<T>(name: string, work: () => Promise<T>): Promise<RunAloneResult<T>> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken ??= err;
      this.log.warn(`the connection holding the lock '${name}' was lost (${err.message}): another instance may take the work over`);
    };
    client.on('error', onError);
    try {
      const { rows } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${LOCK_KEY}) AS locked`, [name]).catch((err: Error) => {
        broken ??= err;
        throw err;
      });
      if (!rows[0]!.locked) return { ran: false };
      try {
        return { ran: true, value: await work() };
      } finally {
        if (!broken) await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`, [name]).catch((err: Error) => (broken ??= err));
      }
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}

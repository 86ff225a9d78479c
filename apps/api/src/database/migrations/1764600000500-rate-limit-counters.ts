import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * rate_limit_counters: the named rate limits' counters, shared by every instance on the database
 * (PostgresThrottlerStorage; README "Rate limits"). `resets_at` is when the key's window or block
 * ends: the next hit after it starts afresh, and the periodic cleanup deletes rows past it.
 * UNLOGGED: counters are worth nothing after a crash, and skipping the WAL makes each hit cheaper.
 */
export class RateLimitCounters1764600000500 implements MigrationInterface {
  name = 'RateLimitCounters1764600000500';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE UNLOGGED TABLE rate_limit_counters (
        throttler text NOT NULL,
        key text NOT NULL,
        hits integer NOT NULL,
        blocked boolean NOT NULL,
        resets_at timestamptz NOT NULL,
        PRIMARY KEY (throttler, key)
      )`);
    await runner.query(`CREATE INDEX rate_limit_counters_resets_at_idx ON rate_limit_counters (resets_at)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE rate_limit_counters`);
  }
}

import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Pool } from 'pg';
import { oneAtATime } from '../../database/background-work.js';
import { type CounterState, type ThrottlerStorageRecord, toRecord } from './counter-state.js';

/**
 * One hit as one upsert (semantics: counter-state.ts). A new key, or one past resets_at, takes
 * the inserted row (`excluded`: a fresh window); otherwise an unblocked key counts the hit, and the hit
 * over the limit blocks it ($5 ms, or until the window's end when $5 is 0). Concurrent hits of one
 * key queue on its row lock, and each SET reads the row as the previous hit left it, so none is lost.
 * $1 throttler, $2 key, $3 ttl ms, $4 limit, $5 blockDuration ms.
 */
const HIT = `
  INSERT INTO rate_limit_counters AS c (throttler, key, hits, blocked, resets_at)
  VALUES ($1, $2, 1, 1 > $4::int, now() + CASE WHEN 1 > $4::int AND $5::float8 > 0 THEN $5::float8 ELSE $3::float8 END * interval '1 millisecond')
  ON CONFLICT (throttler, key) DO UPDATE SET
    hits = CASE WHEN c.resets_at <= now() THEN 1 WHEN c.blocked THEN c.hits ELSE c.hits + 1 END,
    blocked = CASE WHEN c.resets_at <= now() THEN excluded.blocked ELSE c.blocked OR c.hits + 1 > $4::int END,
    resets_at = CASE
      WHEN c.resets_at <= now() THEN excluded.resets_at
      WHEN NOT c.blocked AND c.hits + 1 > $4::int AND $5::float8 > 0 THEN now() + $5::float8 * interval '1 millisecond'
      ELSE c.resets_at END
  RETURNING hits, blocked, extract(epoch FROM resets_at - now()) * 1000 AS ms_left`;

/** Rows whose window and block are over: the next hit would start afresh anyway, so deleting them changes nothing. */
const DELETE_EXPIRED = `DELETE FROM rate_limit_counters WHERE resets_at <= now()`;

/**
 * The rate limits' counters in PostgreSQL (table rate_limit_counters), shared by every instance
 * on the database. A failing database fails the hit with pg's error, which the API answers as
 * everywhere else (503 on REST, 'unavailable' on the socket). Expired rows are deleted every
 * minute, by every instance (an idempotent DELETE).
 */
export class PostgresThrottlerStorage implements ThrottlerStorage, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('RateLimits');
  private cleanup?: NodeJS.Timeout;

  constructor(
    private readonly pool: Pool,
    private readonly cleanupEveryMs = 60_000,
  ) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const { rows } = await this.pool.query<{ hits: number; blocked: boolean; ms_left: string }>({
      name: 'rate-limit-hit',
      text: HIT,
      values: [throttlerName, key, ttl, limit, blockDuration],
    });
    const [{ hits, blocked, ms_left }] = rows as [(typeof rows)[0]];
    return toRecord({ hits, blocked, msLeft: Number(ms_left) } satisfies CounterState);
  }

  /** Deletes the counters that are over; the number deleted. */
  async deleteExpired(): Promise<number> {
    return (await this.pool.query(DELETE_EXPIRED)).rowCount ?? 0;
  }

  onApplicationBootstrap(): void {
    this.cleanup = setInterval(
      oneAtATime(this.log, 'deleting expired rate-limit counters', async () => void (await this.deleteExpired())),
      this.cleanupEveryMs,
    ).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.cleanup);
  }
}

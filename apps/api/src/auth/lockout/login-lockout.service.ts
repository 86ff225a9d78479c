import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';

/**
 * Brute-force lockout: LOGIN_MAX_FAILURES failed logins within the window block the client IP and
 * the username for LOGIN_LOCKOUT_SECONDS. Counters live in PostgreSQL, so a restart keeps them and
 * every instance sees the same ones.
 */
@Injectable()
export class LoginLockoutService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  /** Seconds until the IP or the username may try again; 0 when neither is blocked. */
  async blockedFor(ip: string, username: string): Promise<number> {
    const [row] = await this.db.query(
      `SELECT ceil(extract(epoch FROM max(blocked_until) - now()))::int AS seconds
         FROM login_failures WHERE key = ANY($1) AND blocked_until > now()`,
      [[ipKey(ip), userKey(username)]],
    );
    return row?.seconds ?? 0;
  }

  /** Counts a failure for both keys; returns the block in seconds if this failure started one, else 0. */
  async recordFailure(ip: string, username: string): Promise<number> {
    const { maxFailures, windowSeconds, blockSeconds } = this.config.auth.lockout;
    let blocked = 0;
    for (const key of [ipKey(ip), userKey(username)]) {
      // A window that has passed, or a block that has ended, starts counting again from one.
      const [row] = await this.db.query(
        `INSERT INTO login_failures AS f (key, failures, window_started_at) VALUES ($1, 1, now())
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN f.window_started_at < now() - make_interval(secs => $2) OR f.blocked_until <= now() THEN 1 ELSE f.failures + 1 END,
           window_started_at = CASE WHEN f.window_started_at < now() - make_interval(secs => $2) OR f.blocked_until <= now() THEN now() ELSE f.window_started_at END,
           blocked_until = NULL
         RETURNING failures`,
        [key, windowSeconds],
      );
      if (row.failures >= maxFailures) {
        await this.db.query(`UPDATE login_failures SET blocked_until = now() + make_interval(secs => $2) WHERE key = $1`, [key, blockSeconds]);
        blocked = blockSeconds;
      }
    }
    return blocked;
  }

  /** A successful login clears the username's count (the IP's stays: it may be guessing other names). */
  async recordSuccess(username: string): Promise<void> {
    await this.db.query(`DELETE FROM login_failures WHERE key = $1`, [userKey(username)]);
  }
}

const ipKey = (ip: string) => `ip:${ip}`;
const userKey = (username: string) => `user:${username}`;

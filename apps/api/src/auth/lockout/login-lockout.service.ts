import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { oneAtATime } from '../../database/background-work.js';
import { ClusterLocks } from '../../database/cluster-locks.js';
import { TooManyAttemptsException } from './too-many-attempts.js';

/**
 * Who a credential check is counted against. A client carrying a valid device token for the username
 * is counted on that token alone; any other client on the username and on its address.
 */
export type AttemptSubject = { readonly deviceNonce: string } | { readonly username: string; readonly address: string };

/** A reserved attempt: counted as a failure until `succeeded()` gives it back. */
export interface ReservedAttempt {
  /** The subject carried a valid device token. */
  readonly trusted: boolean;
  /** Failures still allowed after this one, if it fails; 0 = failing locks the subject out. */
  readonly attemptsLeft: number;
  /** How long a lockout lasts (for the 429 when this attempt fails with no attempts left). */
  readonly lockoutSeconds: number;
  succeeded(): Promise<void>;
}

interface Counter {
  readonly key: string;
  readonly limit: number;
}

/** How often counters that count for nothing any more are deleted. */
const PRUNE_INTERVAL_MS = 15 * 60_000;

/** A window that has passed, or a lockout that has ended, starts counting again. */
const STARTS_AFRESH = `(f.window_started_at < now() - make_interval(secs => $2) OR f.blocked_until <= now())`;
const COUNT = `CASE WHEN ${STARTS_AFRESH} THEN 1 ELSE f.failures + 1 END`;

/**
 * Brute-force lockout. Every credential check first reserves an attempt, atomically in PostgreSQL:
 * the attempt counts as a failure before the password is compared, and a success gives it back. So
 * however many requests arrive at once, at most LOGIN_MAX_FAILURES of them are ever compared for one
 * username, and the right key is refused like any other once the budget is spent.
 *
 * Counters (OWASP's device-cookie scheme): a device token (LOGIN_MAX_FAILURES), and, for clients
 * without one, the username (LOGIN_MAX_FAILURES) and the address (LOGIN_ADDRESS_MAX_FAILURES, across
 * usernames). They live in PostgreSQL, so a restart keeps them and every instance shares them.
 */
@Injectable()
export class LoginLockoutService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('LoginLockout');
  private pruner?: ReturnType<typeof setInterval>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly locks: ClusterLocks,
  ) {}

  onApplicationBootstrap(): void {
    // One instance at a time: the others' DELETE would only wait on its row locks to find nothing.
    const prune = () => this.locks.runAlone('login-failures-prune', () => this.prune()).then(() => undefined);
    this.pruner = setInterval(oneAtATime(this.log, 'sign-in counter prune', prune), PRUNE_INTERVAL_MS);
    this.pruner.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.pruner);
  }

  /** Reserves one attempt on every counter of the subject, or on none: 429 when any of them is locked. */
  async reserve(subject: AttemptSubject): Promise<ReservedAttempt> {
    const counters = this.countersOf(subject);
    const { blockSeconds } = this.config.auth.lockout;
    const attemptsLeft = await this.db.transaction(async (tx) => {
      let left = Infinity;
      // Always in key order, so two transactions never wait on each other's rows.
      for (const counter of counters) {
        const failures = await this.count(tx, counter);
        if (failures === undefined) throw new TooManyAttemptsException(await this.lockedFor(tx, counters));
        left = Math.min(left, counter.limit - failures);
      }
      return Math.max(0, left);
    });
    return {
      trusted: 'deviceNonce' in subject,
      attemptsLeft,
      lockoutSeconds: blockSeconds,
      succeeded: () => this.giveBack(counters),
    };
  }

  private countersOf(subject: AttemptSubject): Counter[] {
    const { maxFailures, addressMaxFailures } = this.config.auth.lockout;
    const counters: Counter[] =
      'deviceNonce' in subject
        ? [{ key: `device:${subject.deviceNonce}`, limit: maxFailures }]
        : [
            { key: `user:${subject.username}`, limit: maxFailures },
            { key: `ip:${subject.address}`, limit: addressMaxFailures },
          ];
    return counters.sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  /**
   * Counts one more failure on the counter, locking it when that reaches its limit; undefined when
   * it is locked already (then nothing changes). The row stays locked until the transaction ends.
   */
  private async count(tx: EntityManager, { key, limit }: Counter): Promise<number | undefined> {
    const { windowSeconds, blockSeconds } = this.config.auth.lockout;
    const rows: Array<{ failures: number }> = await tx.query(
      `INSERT INTO login_failures AS f (key, failures, window_started_at, blocked_until)
       VALUES ($1, 1, now(), CASE WHEN $3::int <= 1 THEN now() + make_interval(secs => $4) END)
       ON CONFLICT (key) DO UPDATE SET
         failures = ${COUNT},
         window_started_at = CASE WHEN ${STARTS_AFRESH} THEN now() ELSE f.window_started_at END,
         blocked_until = CASE WHEN ${COUNT} >= $3::int THEN now() + make_interval(secs => $4) END
       WHERE f.blocked_until IS NULL OR f.blocked_until <= now()
       RETURNING failures`,
      [key, windowSeconds, limit, blockSeconds],
    );
    return rows[0]?.failures;
  }

  private async lockedFor(tx: EntityManager, counters: Counter[]): Promise<number> {
    const [row] = await tx.query(
      `SELECT ceil(extract(epoch FROM max(blocked_until) - now()))::int AS seconds FROM login_failures WHERE key = ANY($1) AND blocked_until > now()`,
      [counters.map((c) => c.key)],
    );
    return Math.max(1, row?.seconds ?? 1);
  }

  /**
   * After a success, each counter gets this attempt back, and nothing more: the failures counted
   * before may have been someone else's, and a reset would also forget attempts still being compared
   * (so a burst could get more than the limit checked). A browser that signs in gets a new device
   * token, whose counter starts from zero.
   */
  private async giveBack(counters: Counter[]): Promise<void> {
    // One row at a time (each statement on its own): never two row locks held, so no deadlock.
    for (const { key, limit } of counters) {
      await this.db.query(
        `UPDATE login_failures SET failures = failures - 1, blocked_until = CASE WHEN failures - 1 < $2::int THEN NULL ELSE blocked_until END
          WHERE key = $1 AND failures > 0`,
        [key, limit],
      );
      // A counter back at zero is gone: sign-ins (each with a new device nonce) leave no rows behind.
      // Separate statements: an attempt reserved in between makes it 1 again, and it stays.
      await this.db.query(`DELETE FROM login_failures WHERE key = $1 AND failures = 0 AND blocked_until IS NULL`, [key]);
    }
  }

  /**
   * Counters whose window and lockout have both passed count for nothing (the next attempt starts
   * afresh): failures of sign-ins that never succeeded are deleted here, a few at a time.
   */
  async prune(): Promise<number> {
    const [, deleted]: [unknown, number] = await this.db.query(
      `DELETE FROM login_failures WHERE window_started_at < now() - make_interval(secs => $1) AND (blocked_until IS NULL OR blocked_until <= now())`,
      [this.config.auth.lockout.windowSeconds],
    );
    return deleted;
  }

}

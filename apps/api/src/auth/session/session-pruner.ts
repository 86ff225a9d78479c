import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { oneAtATime } from '../../database/background-work.js';
import { ClusterLocks } from '../../database/cluster-locks.js';
import { SESSION_HANDLER, type SessionHandler } from './session.js';

/** How often expired sessions' rows are deleted (connect-pg-simple's own default). */
export const SESSION_PRUNE_INTERVAL_MS = 15 * 60_000;

/**
 * Deletes expired sessions' rows every SESSION_PRUNE_INTERVAL_MS, on one instance at a time
 * (ClusterLocks): connect-pg-simple's own timer is off, as it would have every instance run the same
 * DELETE. An expired session is refused when read anyway; this only keeps the table small.
 */
@Injectable()
export class SessionPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('SessionPruner');
  private timer?: ReturnType<typeof setInterval>;

  constructor(
    @Inject(SESSION_HANDLER) private readonly sessions: SessionHandler,
    private readonly locks: ClusterLocks,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(oneAtATime(this.log, 'session prune', () => this.prune().then(() => undefined)), SESSION_PRUNE_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Prunes unless another instance is; true when this one did. */
  async prune(): Promise<boolean> {
    return (await this.locks.runAlone('session-prune', () => this.sessions.pruneExpired())).ran;
  }
}

import type { Logger } from '@nestjs/common';
import { isDatabaseUnavailable } from './database-unavailable.js';

/**
 * Background work (the live side's sweeps, membership changes, connect and disconnect hooks; the
 * prune of sign-in counters) has nobody to answer: its failures are logged here and never become
 * unhandled rejections, which would end the process.
 */

/** Logs a failure of background work: a database outage as one warning line, anything else with its stack. */
export function logFailure(log: Logger, what: string): (err: unknown) => void {
  return (err) => {
    if (isDatabaseUnavailable(err)) log.warn(`${what} skipped while the database is unavailable (${(err as Error).message})`);
    else log.error(`${what} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  };
}

/**
 * A periodic task for setInterval: a tick is skipped while the last one still runs (on a hung
 * database, until its timeouts), and a failure is logged when it starts, not at every tick of an outage.
 */
export function oneAtATime(log: Logger, what: string, task: () => Promise<void>): () => void {
  let running = false;
  let failing = false;
  return () => {
    if (running) return;
    running = true;
    task()
      .then(
        () => {
          if (failing) log.log(`${what} works again`);
          failing = false;
        },
        (err: unknown) => {
          if (!failing) logFailure(log, what)(err);
          failing = true;
        },
      )
      .finally(() => (running = false));
  };
}

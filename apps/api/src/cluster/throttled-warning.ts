import type { Logger } from 'pino';

const QUIET_MS = 30_000;

/** A warning for a connection's errors: the first one, then at most one line per 30 s while they go on (an outage is one story, not a line per event). */
export function throttledWarning(log: Logger, what: string): (err: Error) => void {
  let lastAt = 0;
  let suppressed = 0;
  return (err) => {
    const now = Date.now();
    if (now - lastAt < QUIET_MS) {
      suppressed++;
      return;
    }
    lastAt = now;
    log.warn({ component: 'cluster', suppressed }, `${what}: ${err.message}`);
    suppressed = 0;
  };
}

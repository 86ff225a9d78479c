import type { Logger } from '@nestjs/common';
import { oneAtATime } from './background-work.js';

/** A Logger that keeps its lines. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { lines, log: record('log'), warn: record('warn'), error: record('error') } as unknown as Logger & { lines: string[] };
}

const outage = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
const settle = () => new Promise((r) => setImmediate(r));

describe('oneAtATime (the session and idle sweeps)', () => {
  it('skips ticks while the last run is still going (a hung database), then runs again', async () => {
    let release!: () => void;
    let runs = 0;
    const tick = oneAtATime(recordingLogger(), 'sweep', () => {
      runs++;
      return new Promise<void>((resolve) => (release = resolve));
    });
    tick();
    tick();
    tick();
    expect(runs).toBe(1);
    release();
    await settle();
    tick();
    expect(runs).toBe(2);
  });

  it('logs an outage once when it starts and once when it ends, and never rejects', async () => {
    const log = recordingLogger();
    let fail = true;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const tick = oneAtATime(log, 'session sweep', async () => {
        if (fail) throw outage();
      });
      for (let i = 0; i < 5; i++) (tick(), await settle());
      fail = false;
      for (let i = 0; i < 2; i++) (tick(), await settle());
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(log.lines).toEqual(['warn session sweep skipped while the database is unavailable (connect ECONNREFUSED 127.0.0.1:5432)', 'log session sweep works again']);
    expect(unhandled).toEqual([]);
  });

  it('logs any other failure as an error with its stack', async () => {
    const log = recordingLogger();
    const tick = oneAtATime(log, 'idle sweep', async () => {
      throw new TypeError('a bug');
    });
    tick();
    await settle();
    expect(log.lines).toEqual([expect.stringMatching(/^error idle sweep failed: TypeError: a bug\n\s+at /)]);
  });
});

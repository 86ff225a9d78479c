import type { Logger } from 'pino';

const GRACE_MS = 10_000;

/**
 * Ordered shutdown on SIGINT/SIGTERM: steps run last-added first (HTTP and Nest before the database
 * they use), then the process exits 0. A second signal, or a shutdown slower than 10 s, exits 1.
 */
export class Shutdown {
  private readonly steps: Array<() => Promise<void>> = [];
  private started = false;

  constructor(private readonly log: Logger) {
    process.on('SIGINT', (signal) => this.begin(signal));
    process.on('SIGTERM', (signal) => this.begin(signal));
  }

  add(step: () => Promise<void>): void {
    this.steps.unshift(step);
  }

  private begin(signal: NodeJS.Signals): void {
    if (this.started) {
      this.log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    this.started = true;
    this.log.info(`${signal}: shutting down`);
    setTimeout(() => {
      this.log.error('shutdown took too long: exiting');
      process.exit(1);
    }, GRACE_MS).unref();
    void this.run();
  }

  private async run(): Promise<void> {
    let failed = false;
    for (const step of this.steps) {
      await step().catch((err: unknown) => {
        failed = true;
        this.log.error({ err }, 'shutdown step failed');
      });
    }
    this.log.info('stopped');
    process.exit(failed ? 1 : 0);
  }
}

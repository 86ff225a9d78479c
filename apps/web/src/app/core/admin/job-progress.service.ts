import { DestroyRef, inject, Injectable, InjectionToken, signal } from '@angular/core';
import type { AdminJob } from '@conclave/contracts';
import { ApiError } from '../api-client.service';
import { AdminApi } from './admin-api.service';

/** How often a running job is asked for (ms). */
export const JOB_POLL_INTERVAL = new InjectionToken<number>('JOB_POLL_INTERVAL', { factory: () => 1000 });

export const jobFinished = (job: AdminJob) => job.state === 'succeeded' || job.state === 'failed';

/**
 * Follows an admin job (a room deletion) until it succeeded or failed, asking GET jobs/:id every
 * interval. A failed poll is shown and retried (the job runs on the server regardless); an unknown
 * job (404) stops it. Provided by the screen that shows the progress, and stopped with it.
 */
@Injectable()
export class JobProgress {
  private readonly api = inject(AdminApi);
  private readonly interval = inject(JOB_POLL_INTERVAL);
  private readonly jobState = signal<AdminJob | null>(null);
  private readonly errorState = signal<string | null>(null);
  private timer?: ReturnType<typeof setTimeout>;
  private onDone?: (job: AdminJob) => void;

  readonly job = this.jobState.asReadonly();
  /** The last poll's failure, cleared by the next answer. */
  readonly error = this.errorState.asReadonly();

  constructor() {
    inject(DestroyRef).onDestroy(() => this.stop());
  }

  /** Shows `job` and follows it; `onDone` runs once when it has finished (either way). */
  follow(job: AdminJob, onDone?: (job: AdminJob) => void): void {
    this.stop();
    this.onDone = onDone;
    this.show(job);
  }

  /** Forgets the job shown (it keeps running on the server). */
  dismiss(): void {
    this.stop();
    this.jobState.set(null);
    this.errorState.set(null);
  }

  private show(job: AdminJob): void {
    this.jobState.set(job);
    if (jobFinished(job)) {
      const done = this.onDone;
      this.onDone = undefined;
      done?.(job);
      return;
    }
    this.timer = setTimeout(() => void this.poll(job.id), this.interval);
  }

  private async poll(jobId: string): Promise<void> {
    this.timer = undefined;
    try {
      const job = await this.api.job(jobId);
      if (this.jobState()?.id !== jobId) return;
      this.errorState.set(null);
      this.show(job);
    } catch (err) {
      if (this.jobState()?.id !== jobId) return;
      this.errorState.set((err as Error).message);
      if (!(err instanceof ApiError && err.status === 404)) this.timer = setTimeout(() => void this.poll(jobId), this.interval);
    }
  }

  private stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { logFailure, oneAtATime } from '../database/background-work.js';
import { ClusterLocks } from '../database/cluster-locks.js';
import { RoomEvents } from '../rooms/room-events.js';
import { FilesService } from './files.service.js';

/** A sweep after a room's deletion finding another under way tries again this often, for up to 10 s. */
const SWEEP_RETRY_MS = 500;
const SWEEP_AFTER_DELETION_TRIES = 20;

/**
 * Every FILE_SWEEP_INTERVAL_SECONDS, and at once when a room is deleted: removes pending uploads
 * older than FILE_PENDING_MS and the files of deleted rooms (FilesService.sweep). Failures are
 * logged, never thrown; shutdown waits for a sweep under way. One instance sweeps at a time
 * (ClusterLocks): a sweep another instance is running already removes the same rows and objects.
 */
@Injectable()
export class FilesSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('FilesSweeper');
  private timer?: ReturnType<typeof setInterval>;
  private roomDeleted?: Subscription;
  private running: Promise<void> = Promise.resolve();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly files: FilesService,
    private readonly roomEvents: RoomEvents,
    private readonly locks: ClusterLocks,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(oneAtATime(this.log, 'file sweep', () => this.track(this.sweep())), this.config.files.sweepIntervalMs);
    this.timer.unref();
    this.roomDeleted = this.roomEvents.deleted.subscribe(() => void this.track(this.sweepAfterDeletion()).catch(logFailure(this.log, 'deleted room’s files')));
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.roomDeleted?.unsubscribe();
    await this.running.catch(() => undefined);
  }

  private async sweep(): Promise<boolean> {
    return (await this.locks.runAlone('files-sweep', () => this.files.sweep())).ran;
  }

  /**
   * A sweep another instance (or this one's timer) is running may have chosen its rows before the
   * room went: this one waits for it to end rather than leave the room's files to the next interval.
   */
  private async sweepAfterDeletion(): Promise<void> {
    for (let tries = 1; !(await this.sweep()) && tries < SWEEP_AFTER_DELETION_TRIES && this.timer; tries++) {
      await new Promise((resolve) => setTimeout(resolve, SWEEP_RETRY_MS).unref());
    }
  }

  private track(sweep: Promise<unknown>): Promise<void> {
    const previous = this.running;
    this.running = Promise.allSettled([previous, sweep]).then(() => undefined);
    return sweep.then(() => undefined);
  }
}

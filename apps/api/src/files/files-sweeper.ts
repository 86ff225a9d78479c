import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { logFailure, oneAtATime } from '../database/background-work.js';
import { RoomEvents } from '../rooms/room-events.js';
import { FilesService } from './files.service.js';

/**
 * Every FILE_SWEEP_INTERVAL_SECONDS, and at once when a room is deleted: removes pending uploads
 * older than FILE_PENDING_MS and the files of deleted rooms (FilesService.sweep). Failures are
 * logged, never thrown; shutdown waits for a sweep under way.
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
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(oneAtATime(this.log, 'file sweep', () => this.track(this.files.sweep())), this.config.files.sweepIntervalMs);
    this.timer.unref();
    this.roomDeleted = this.roomEvents.deleted.subscribe(() => void this.track(this.files.sweep()).catch(logFailure(this.log, 'deleted room’s files')));
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.roomDeleted?.unsubscribe();
    await this.running.catch(() => undefined);
  }

  private track(sweep: Promise<void>): Promise<void> {
    const previous = this.running;
    this.running = Promise.allSettled([previous, sweep]).then(() => undefined);
    return sweep;
  }
}

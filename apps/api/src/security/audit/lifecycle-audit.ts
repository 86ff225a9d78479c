import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { AuditService } from './audit.service.js';

/** Records each instance start and stop, with the security-relevant settings it ran with. */
@Injectable()
export class LifecycleAudit implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): Promise<void> {
    return this.audit.record({
      event: 'server.started',
      details: {
        pid: process.pid,
        tls: this.config.tls.mode,
        database: this.config.databaseUrl ? 'external' : 'embedded',
        trustProxy: this.config.trustProxy,
      },
    });
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.audit.record({ event: 'server.stopped', details: { pid: process.pid } });
  }
}

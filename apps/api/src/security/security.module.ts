import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { CLUSTER, type ClusterConnection } from '../cluster/cluster-connection.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DATABASE_POOL } from '../database/database.module.js';
import { AuditEvent } from './audit/audit-event.entity.js';
import { AuditService } from './audit/audit.service.js';
import { LifecycleAudit } from './audit/lifecycle-audit.js';
import { DeploymentWarnings } from './deployment-warnings.js';
import { noStore } from './no-store.js';
import { PayloadShapeMiddleware } from './payload-shape.middleware.js';
import { RetryAfterFilter } from './retry-later.js';
import { SameOriginMiddleware } from './same-origin.middleware.js';
import { ServerSecretsService } from './secrets/server-secrets.service.js';
import { RateLimitGuard } from './throttling/rate-limit.guard.js';
import { rateLimitStorage } from './throttling/rate-limit-storage.js';
import { rateLimitDefinitions } from './throttling/rate-limits.js';
import { RateLimits } from './throttling/rate-limits.service.js';

/**
 * Security concerns that live inside Nest: the audit log, the named rate limits, shared server secrets, the same-origin
 * (CSRF) check, the shape check of every request body, no caching of API answers, start-up warnings
 * about the deployment. TLS, headers and the HTTPS-only rules are applied in main.ts, around the Nest app.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([AuditEvent]),
    // The deployment's named rate limits (register, joins, messages, admin), counted in the storage every instance shares.
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG, DATABASE_POOL, CLUSTER],
      useFactory: (config: AppConfig, pool: Pool, { redis }: ClusterConnection) => ({
        throttlers: rateLimitDefinitions(config),
        // A hit waits for Redis no longer than a statement may run on PostgreSQL; then 503 (docs/deployment.md).
        storage: rateLimitStorage(pool, redis?.withCommandOptions({ timeout: config.databaseTimeouts.statementMs })),
      }),
    }),
  ],
  providers: [AuditService, LifecycleAudit, ServerSecretsService, DeploymentWarnings, RateLimits, RateLimitGuard, { provide: APP_FILTER, useClass: RetryAfterFilter }],
  exports: [AuditService, ServerSecretsService, RateLimits, RateLimitGuard],
})
export class SecurityModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(noStore).forRoutes('api/{*path}');
    consumer.apply(SameOriginMiddleware).forRoutes('api/{*path}');
    consumer.apply(PayloadShapeMiddleware).forRoutes('{*path}');
  }
}

import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditEvent } from './audit/audit-event.entity.js';
import { AuditService } from './audit/audit.service.js';
import { LifecycleAudit } from './audit/lifecycle-audit.js';
import { DeploymentWarnings } from './deployment-warnings.js';
import { noStore } from './no-store.js';
import { PayloadShapeMiddleware } from './payload-shape.middleware.js';
import { RetryAfterFilter } from './retry-later.js';
import { SameOriginMiddleware } from './same-origin.middleware.js';
import { ServerSecretsService } from './secrets/server-secrets.service.js';

/**
 * Security concerns that live inside Nest: the audit log, shared server secrets, the same-origin
 * (CSRF) check, the shape check of every request body, no caching of API answers, start-up warnings
 * about the deployment. TLS, headers and the HTTPS-only rules are applied in main.ts, around the Nest app.
 */
@Module({
  imports: [TypeOrmModule.forFeature([AuditEvent])],
  providers: [AuditService, LifecycleAudit, ServerSecretsService, DeploymentWarnings, { provide: APP_FILTER, useClass: RetryAfterFilter }],
  exports: [AuditService, ServerSecretsService],
})
export class SecurityModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(noStore).forRoutes('api/{*path}');
    consumer.apply(SameOriginMiddleware).forRoutes('api/{*path}');
    consumer.apply(PayloadShapeMiddleware).forRoutes('{*path}');
  }
}

import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditEvent } from './audit/audit-event.entity.js';
import { AuditService } from './audit/audit.service.js';
import { LifecycleAudit } from './audit/lifecycle-audit.js';

/**
 * Security concerns that live inside Nest: the audit log (and, in later issues, throttling).
 * TLS, headers and the HTTPS-only rules are applied in main.ts, around the Nest application.
 */
@Module({
  imports: [TypeOrmModule.forFeature([AuditEvent])],
  providers: [AuditService, LifecycleAudit],
  exports: [AuditService],
})
export class SecurityModule {}

import { Get, Query } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ADMIN_PATHS, type AuditRecord, type Page } from '@conclave/contracts';
import { AuditService } from '../../security/audit/audit.service.js';
import { AdminController } from '../common/admin-controller.js';
import { AdminRoute, BadInput } from '../common/admin-docs.js';
import { ADMIN_TAGS } from '../common/admin-tags.js';
import { AUDIT_CURSOR, AuditPageDto, AuditQueryDto } from './dto.js';

@AdminController(ADMIN_TAGS.audit)
export class AdminAuditController {
  constructor(private readonly audit: AuditService) {}

  @Get(ADMIN_PATHS.audit)
  @AdminRoute(
    'audit:read',
    'Read the audit log, newest first, with filters',
    'Every filter is optional and they combine. Keyset pages: pass nextCursor back as cursor (with the same filters) until it is null.',
  )
  @ApiOkResponse({ type: AuditPageDto, description: 'A page of records, newest first (Page<AuditRecord>)' })
  @BadInput('A malformed actor, action, target, from, to (or to not after from), limit or cursor')
  async list(@Query() { actor, action, target, from, to, limit, cursor }: AuditQueryDto): Promise<Page<AuditRecord>> {
    const records = await this.audit.query({
      actorId: actor,
      action,
      target,
      from: from === undefined ? undefined : new Date(from),
      to: to === undefined ? undefined : new Date(to),
      beforeId: cursor === undefined ? undefined : AUDIT_CURSOR.decode(cursor)!.id,
      limit: limit + 1,
    });
    return AUDIT_CURSOR.page(records, limit, (record) => ({ id: record.id }));
  }
}

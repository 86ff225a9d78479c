import { Injectable } from '@nestjs/common';
import type { ApiTokenSummary, CreatedApiToken } from '@conclave/contracts';
import type { Actor } from '../../auth/principal/principal.js';
import { ApiTokensService } from '../../auth/tokens/api-tokens.service.js';
import { AuditService } from '../../security/audit/audit.service.js';
import type { CreateApiTokenDto } from './dto.js';

/** API tokens made and revoked by an admin's session (AdminPolicy keeps tokens out), audited without their secret. */
@Injectable()
export class AdminTokensService {
  constructor(
    private readonly tokens: ApiTokensService,
    private readonly audit: AuditService,
  ) {}

  list(): Promise<ApiTokenSummary[]> {
    return this.tokens.list();
  }

  async create(request: CreateApiTokenDto, actor: Actor, ip: string | undefined): Promise<CreatedApiToken> {
    const created = await this.tokens.create(actor.actorId, request);
    await this.audit.record({
      event: 'token.created',
      ...actor,
      target: created.id,
      ip: ip ?? null,
      details: { name: created.name, scopes: created.scopes.join(' '), expiresAt: created.expiresAt },
    });
    return created;
  }

  async revoke(tokenId: string, actor: Actor, ip: string | undefined): Promise<ApiTokenSummary> {
    const { token, changed } = await this.tokens.revoke(tokenId);
    if (changed) await this.audit.record({ event: 'token.revoked', ...actor, target: token.id, ip: ip ?? null, details: { name: token.name } });
    return token;
  }
}

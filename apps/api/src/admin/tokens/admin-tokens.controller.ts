import { Body, Controller, Delete, Get, Ip, Post, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ADMIN_API_PREFIX, ADMIN_PATHS, API_TOKEN_MAX_DAYS, type ApiTokenSummary, type CreatedApiToken } from '@conclave/contracts';
import { AcceptsApiTokens, CurrentPrincipal } from '../../auth/principal/decorators.js';
import type { Principal } from '../../auth/principal/principal.js';
import { RateLimitGuard } from '../../security/throttling/rate-limit.guard.js';
import { RateLimit } from '../../security/throttling/rate-limits.js';
import { AdminApiDocs, AdminRoute, BadInput, NotFound } from '../common/admin-docs.js';
import { UuidParam } from '../common/uuid-param.js';
import { AdminTokensService } from './admin-tokens.service.js';
import { ApiTokenSummaryDto, CreateApiTokenDto, CreatedApiTokenDto } from './dto.js';

@ApiTags('admin: tokens')
@AdminApiDocs()
@AcceptsApiTokens()
@UseGuards(RateLimitGuard)
@RateLimit('admin')
@Controller(ADMIN_API_PREFIX)
export class AdminTokensController {
  constructor(private readonly tokens: AdminTokensService) {}

  @Get(ADMIN_PATHS.tokens)
  @AdminRoute('admin-session', 'Every API token, newest first (never their secrets)')
  @ApiOkResponse({ type: [ApiTokenSummaryDto] })
  list(): Promise<ApiTokenSummary[]> {
    return this.tokens.list();
  }

  @Post(ADMIN_PATHS.tokens)
  @AdminRoute(
    'admin-session',
    'Create an API token: the answer shows it once',
    'Only a SHA-256 hash of its secret is stored: copy the token now. It works on the admin API and /metrics only, for its scopes, until it expires or is revoked, and only while its creator is an enabled admin. Audited as token.created (without the secret).',
  )
  @ApiCreatedResponse({ type: CreatedApiTokenDto })
  @BadInput(`A missing or too long name; scopes empty, repeated or unknown; expiresAt not an ISO time, in the past, or more than ${API_TOKEN_MAX_DAYS} days away`)
  create(@Body() body: CreateApiTokenDto, @CurrentPrincipal() caller: Principal, @Ip() ip: string): Promise<CreatedApiToken> {
    return this.tokens.create(body, caller, ip);
  }

  @Delete(ADMIN_PATHS.token)
  @AdminRoute('admin-session', 'Revoke an API token: it stops working at once', 'Revoking a revoked token changes nothing. Audited as token.revoked.')
  @ApiOkResponse({ type: ApiTokenSummaryDto, description: 'The token as it now is (revokedAt set, active false)' })
  @BadInput('tokenId is not a UUID')
  @NotFound('No API token has this id')
  revoke(@UuidParam('tokenId') tokenId: string, @CurrentPrincipal() caller: Principal, @Ip() ip: string): Promise<ApiTokenSummary> {
    return this.tokens.revoke(tokenId, caller, ip);
  }
}

import { Body, Delete, Get, Ip, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse } from '@nestjs/swagger';
import { ADMIN_PATHS, API_TOKEN_MAX_DAYS, type ApiTokenSummary, type CreatedApiToken } from '@conclave/contracts';
import { CurrentActor } from '../../auth/principal/decorators.js';
import type { Actor } from '../../auth/principal/principal.js';
import { AdminController } from '../common/admin-controller.js';
import { AdminRoute, BadInput, IdParam, NotFound } from '../common/admin-docs.js';
import { ADMIN_TAGS } from '../common/admin-tags.js';
import { UuidParam } from '../common/uuid-param.js';
import { AdminTokensService } from './admin-tokens.service.js';
import { ApiTokenSummaryDto, CreateApiTokenDto, CreatedApiTokenDto } from './dto.js';

@AdminController(ADMIN_TAGS.tokens)
export class AdminTokensController {
  constructor(private readonly tokens: AdminTokensService) {}

  @Get(ADMIN_PATHS.tokens)
  @AdminRoute('admin-session', 'Every API token, newest first (never their secrets)')
  @ApiOkResponse({ type: [ApiTokenSummaryDto], description: 'ApiTokenSummary[]' })
  list(): Promise<ApiTokenSummary[]> {
    return this.tokens.list();
  }

  @Post(ADMIN_PATHS.tokens)
  @AdminRoute(
    'admin-session',
    'Create an API token: the answer shows it once',
    'Only a SHA-256 hash of its secret is stored: copy the token now. It works on the admin API and /metrics only, for its scopes, until it expires or is revoked, and only while its creator is an enabled admin. Audited as token.created (without the secret).',
  )
  @ApiCreatedResponse({ type: CreatedApiTokenDto, description: 'The token with its secret (CreatedApiToken): the only time it is shown' })
  @BadInput(`A missing or too long name; scopes empty, repeated or unknown; expiresAt not an ISO time, in the past, or more than ${API_TOKEN_MAX_DAYS} days away`)
  create(@Body() body: CreateApiTokenDto, @CurrentActor() actor: Actor, @Ip() ip: string): Promise<CreatedApiToken> {
    return this.tokens.create(body, actor, ip);
  }

  @Delete(ADMIN_PATHS.token)
  @AdminRoute('admin-session', 'Revoke an API token: it stops working at once', 'Revoking a revoked token changes nothing. Audited as token.revoked.')
  @ApiOkResponse({ type: ApiTokenSummaryDto, description: 'The token as it now is (revokedAt set, active false)' })
  @IdParam('tokenId', "The token's id (the 32 hex digits after cnk_, as a UUID)")
  @BadInput('tokenId is not a UUID')
  @NotFound('No API token has this id')
  revoke(@UuidParam('tokenId') tokenId: string, @CurrentActor() actor: Actor, @Ip() ip: string): Promise<ApiTokenSummary> {
    return this.tokens.revoke(tokenId, actor, ip);
  }
}

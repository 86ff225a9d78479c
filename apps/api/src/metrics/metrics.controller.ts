import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { METRICS_PATH } from '@conclave/contracts';
import type { Response } from 'express';
import { AdminAccess } from '../auth/principal/admin.policy.js';
import { AcceptsApiTokens } from '../auth/principal/decorators.js';
import { API_TOKEN_SCHEME, SESSION_SCHEME } from '../docs/security-schemes.js';
import { MetricsService } from './metrics.service.js';

/** Prometheus scrapes on the main port: an API token with metrics:read, or a site admin's session. */
@ApiTags('metrics')
@ApiBearerAuth(API_TOKEN_SCHEME)
@ApiCookieAuth(SESSION_SCHEME)
@Controller()
@AcceptsApiTokens()
@AdminAccess('metrics:read')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get(METRICS_PATH)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format)', description: 'Needs an API token with the metrics:read scope, or a site admin signed in. README "Metrics" lists what is exported.' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The metrics, in the Prometheus text format 0.0.4', schema: { type: 'string', example: '# HELP conclave_messages_stored_total …\n# TYPE conclave_messages_stored_total counter\nconclave_messages_stored_total 42\n' } })
  @ApiUnauthorizedResponse({ description: 'No session and no API token, or a token that is unknown, expired or revoked' })
  @ApiForbiddenResponse({ description: 'A user who is not a site admin, or a token without the metrics:read scope' })
  async scrape(@Res({ passthrough: true }) res: Response): Promise<string> {
    const { contentType, body } = await this.metrics.exposition();
    res.type(contentType);
    return body;
  }
}

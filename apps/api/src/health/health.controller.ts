import { Controller, Get } from '@nestjs/common';
import { Public } from '../auth/principal/decorators.js';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { API_PATHS, type PingResponse } from '@conclave/contracts';
import { ApiMalformedBodyResponse } from '../docs/route-docs.js';
import { HealthResponseDto, PingResponseDto } from './response.dto.js';
import { TlsCertificateIndicator } from './tls-certificate.indicator.js';

@ApiTags('health')
@Controller()
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly tls: TlsCertificateIndicator,
  ) {}

  /** Liveness for uptime monitors: answers without touching the database. */
  @Get(API_PATHS.health.ping)
  @ApiOperation({ summary: 'Liveness: the process answers (no database access)' })
  @ApiOkResponse({ type: PingResponseDto })
  @ApiMalformedBodyResponse()
  ping(): PingResponse {
    return { status: 'ok' };
  }

  /** Readiness for load balancers: includes a round trip to PostgreSQL. */
  @Get(API_PATHS.health.health)
  // Terminus's own Swagger is replaced by HealthResponseDto, which names this server's indicators.
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({ summary: 'Readiness: the process and its database answer' })
  @ApiOkResponse({ type: HealthResponseDto, description: 'Ready: every dependency is up (or degraded: the TLS certificate expires soon)' })
  @ApiMalformedBodyResponse()
  @ApiServiceUnavailableResponse({ type: HealthResponseDto, description: 'A dependency (the database) is down, or the configured TLS certificate has expired' })
  check() {
    return this.health.check([() => this.database.pingCheck('database', { timeout: 2000 }), () => this.tls.check()]);
  }
}

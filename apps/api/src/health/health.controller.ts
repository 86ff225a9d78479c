import { Controller, Get } from '@nestjs/common';
import { Public } from '../auth/principal/decorators.js';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { API_PREFIX, type PingResponse } from '@conclave/contracts';
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
  @Get('ping')
  @ApiOperation({ summary: 'Liveness: the process answers (no database access)' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  ping(): PingResponse {
    return { status: 'ok' };
  }

  /** Readiness for load balancers: includes a round trip to PostgreSQL. */
  @Get(`${API_PREFIX}/health`)
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: the process and its database answer' })
  @ApiServiceUnavailableResponse({ description: 'A dependency (the database) is down, or the configured TLS certificate has expired' })
  check() {
    return this.health.check([() => this.database.pingCheck('database', { timeout: 2000 }), () => this.tls.check()]);
  }
}

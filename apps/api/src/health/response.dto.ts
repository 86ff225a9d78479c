import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { HealthIndicators, HealthIndicatorState, HealthResponse, PingResponse } from '@conclave/contracts';

export class PingResponseDto implements PingResponse {
  @ApiProperty({ enum: ['ok'] })
  status!: 'ok';
}

const INDICATOR_STATES = ['up', 'degraded', 'down'] as const;

export class DatabaseHealthDto implements NonNullable<HealthIndicators['database']> {
  @ApiProperty({ enum: INDICATOR_STATES, example: 'up' })
  status!: HealthIndicatorState['status'];

  @ApiPropertyOptional({ description: 'Why it is down' })
  message?: string;

  @ApiPropertyOptional({ type: 'integer', description: 'Milliseconds PostgreSQL took to answer', example: 2 })
  responseTime?: number;
}

export class TlsHealthDto implements NonNullable<HealthIndicators['tls']> {
  @ApiProperty({ enum: INDICATOR_STATES, description: 'degraded within CERTIFICATE_WARNING_DAYS of its end (still served), down once expired' })
  status!: HealthIndicatorState['status'];

  @ApiPropertyOptional({ description: 'What to do about an expiring or expired certificate' })
  message?: string;

  @ApiProperty({ format: 'date-time', description: "The certificate's end" })
  validTo!: string;

  @ApiProperty({ type: 'integer', description: 'Whole days until validTo (negative once past)', example: 60 })
  daysLeft!: number;
}

export class HealthIndicatorsDto implements HealthIndicators {
  @ApiPropertyOptional({ type: DatabaseHealthDto })
  database?: DatabaseHealthDto;

  @ApiPropertyOptional({ type: TlsHealthDto, description: 'Only when the server serves TLS_CERT_FILE (not the self-signed certificate, not behind a proxy)' })
  tls?: TlsHealthDto;
}

export class HealthResponseDto implements HealthResponse {
  @ApiProperty({ enum: ['ok', 'degraded', 'error', 'shutting_down'], description: 'ok or degraded with 200; error or shutting_down with 503', example: 'ok' })
  status!: HealthResponse['status'];

  @ApiPropertyOptional({ type: HealthIndicatorsDto, description: 'The dependencies that are up (or degraded)' })
  info?: HealthIndicatorsDto;

  @ApiPropertyOptional({ type: HealthIndicatorsDto, description: 'The dependencies that are down' })
  error?: HealthIndicatorsDto;

  @ApiProperty({ type: HealthIndicatorsDto, description: 'Every dependency checked' })
  details!: HealthIndicatorsDto;
}

import { Inject, Injectable } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { certificateValidity, certificateWarning } from '../security/tls.js';

/**
 * The certificate configured in TLS_CERT_FILE, as served (a renewed file takes a restart): up,
 * degraded within CERTIFICATE_WARNING_DAYS of its end (still serving), down once expired (browsers
 * refuse it). Absent with the self-signed certificate or behind the proxy.
 */
@Injectable()
export class TlsCertificateIndicator {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly health: HealthIndicatorService,
  ) {}

  check(key = 'tls'): HealthIndicatorResult {
    if (this.config.tls.mode !== 'files') return {};
    const validity = certificateValidity(this.config.tls.cert);
    const details = { validTo: validity.validTo, daysLeft: validity.daysLeft };
    const indicator = this.health.check(key);
    if (validity.state === 'expired') return indicator.down({ ...details, message: certificateWarning(validity) });
    if (validity.state === 'expiring') return indicator.degraded({ ...details, message: certificateWarning(validity) });
    return indicator.up(details);
  }
}

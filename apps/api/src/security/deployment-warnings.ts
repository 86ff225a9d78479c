import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { certificateValidity, certificateWarning } from './tls.js';

/**
 * Settings that start fine but leave a deployment weaker than it should be, logged as warnings once
 * at start: a configured certificate near or past its end (also in /api/health), and, in
 * production, no PUBLIC_ORIGIN.
 */
@Injectable()
export class DeploymentWarnings implements OnApplicationBootstrap {
  private readonly log = new Logger(DeploymentWarnings.name);

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  onApplicationBootstrap(): void {
    for (const warning of [this.certificate(), this.publicOrigin()]) if (warning) this.log.warn(warning);
  }

  private certificate(): string | undefined {
    return this.config.tls.mode === 'files' ? certificateWarning(certificateValidity(this.config.tls.cert)) : undefined;
  }

  /**
   * Without PUBLIC_ORIGIN the HTTPS redirect goes to whatever host the request named, and the
   * cross-site check compares Origin with the request's own Host (or X-Forwarded-Host behind the
   * proxy): both trust a header the client writes.
   */
  private publicOrigin(): string | undefined {
    if (this.config.publicOrigin || this.config.env !== 'production') return undefined;
    const header = this.config.trustProxy ? 'X-Forwarded-Host (or Host)' : 'Host';
    return `PUBLIC_ORIGIN is not set: redirects to HTTPS and the cross-site (Origin) check trust each request's ${header} header. Set it to the address users open, e.g. PUBLIC_ORIGIN=https://chat.example.com`;
  }
}

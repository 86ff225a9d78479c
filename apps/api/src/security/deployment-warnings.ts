import { BlockList, isIP } from 'node:net';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { certificateValidity, certificateWarning } from './tls.js';

/**
 * Settings that start fine but leave a deployment weaker than it should be, logged as warnings once
 * at start: a configured certificate near or past its end (also in /api/health), in production no
 * PUBLIC_ORIGIN, a METRICS_ADDRESS that is neither loopback nor private, and, where other instances
 * may share the database, secrets left to files in this instance's DATA_DIR.
 */
@Injectable()
export class DeploymentWarnings implements OnApplicationBootstrap {
  private readonly log = new Logger(DeploymentWarnings.name);

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  onApplicationBootstrap(): void {
    for (const warning of [this.certificate(), this.publicOrigin(), this.metricsAddress(), this.unsharedSecrets()]) if (warning) this.log.warn(warning);
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

  /**
   * The METRICS_ADDRESS listener answers anyone who reaches it, without a token: meant for a scraper
   * on the same machine or a private network (README "Metrics"), not for all interfaces (0.0.0.0, ::),
   * a public address, or a host name, whose addresses Conclave cannot vouch for.
   */
  private metricsAddress(): string | undefined {
    const listen = this.config.metrics.listen;
    if (!listen || isLoopbackOrPrivate(listen.host)) return undefined;
    const address = `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
    return `METRICS_ADDRESS=${address} serves the metrics without a token on an address that is neither loopback nor private: anyone who reaches port ${listen.port} reads them. Bind it to 127.0.0.1 or an address of a private network (10/8, 172.16/12, 192.168/16, fc00::/7), or leave it unset and scrape with a metrics:read token`;
  }

  /**
   * With DATABASE_URL (or REDIS_URL) another instance may serve the same users (README "Deployment"),
   * and each one that makes its own secret in its own DATA_DIR signs cookies, device tokens and file
   * links the others reject: a user would be signed out, or a link refused, depending on which
   * instance the proxy picked.
   */
  private unsharedSecrets(): string | undefined {
    if (this.config.cluster.fanOut === 'local') return undefined;
    const { auth, files } = this.config;
    const unset = [
      auth.sessionSecret === undefined && 'SESSION_SECRET',
      auth.deviceTokens.secret === undefined && 'LOGIN_DEVICE_SECRET',
      files.storage.driver === 'local' && files.storage.linkSecret === undefined && 'FILE_LINK_SECRET',
    ].filter(Boolean);
    if (!unset.length) return undefined;
    return `${unset.join(', ')} ${unset.length === 1 ? 'is' : 'are'} not set: this instance made its own in DATA_DIR. If several instances share this database, give each the same value (openssl rand -base64 32), or users are signed out and links refused depending on the instance that answers (README "Deployment")`;
  }
}

const LOOPBACK_OR_PRIVATE = new BlockList();
LOOPBACK_OR_PRIVATE.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK_OR_PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
LOOPBACK_OR_PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
LOOPBACK_OR_PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
LOOPBACK_OR_PRIVATE.addAddress('::1', 'ipv6');
LOOPBACK_OR_PRIVATE.addSubnet('fc00::', 7, 'ipv6');

/** A loopback or private (RFC 1918, RFC 4193) address, or localhost; any other host name is not, whatever it resolves to today. */
export function isLoopbackOrPrivate(host: string): boolean {
  const family = isIP(host);
  if (family === 0) return /^localhost\.?$/i.test(host);
  return LOOPBACK_OR_PRIVATE.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

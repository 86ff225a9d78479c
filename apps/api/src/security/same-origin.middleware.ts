import { ForbiddenException, Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF defence for cookie-authenticated requests, by Origin check rather than tokens: every browser
 * that can send our SameSite=Strict cookie also sends Origin on a state-changing request, so a
 * request whose Origin is another site's is refused, and so is one that carries a cookie but no
 * Origin. Nothing to store, nothing for the client to echo, and it also stops login CSRF.
 */
@Injectable()
export class SameOriginMiddleware implements NestMiddleware {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  use(req: Request, _res: Response, next: NextFunction): void {
    if (SAFE_METHODS.has(req.method)) return next();
    const origin = req.headers.origin;
    if (origin === undefined) {
      if (req.headers.cookie) throw new ForbiddenException('Cross-site request refused: a state-changing request must carry an Origin header');
      return next();
    }
    if (origin !== expectedOrigin(this.config, req.headers)) throw new ForbiddenException(`Cross-site request refused: origin ${origin} is not this server`);
    next();
  }
}

/** This server's own origin as a browser names it: PUBLIC_ORIGIN, or https:// + the (forwarded) Host. */
export function expectedOrigin(config: AppConfig, headers: IncomingHttpHeaders): string {
  if (config.publicOrigin) return config.publicOrigin;
  const forwarded = config.trustProxy ? headers['x-forwarded-host']?.toString().split(',')[0]?.trim() : undefined;
  return `https://${forwarded ?? headers.host}`;
}

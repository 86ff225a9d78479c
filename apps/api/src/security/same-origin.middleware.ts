import { ForbiddenException, Inject, Injectable, type NestMiddleware } from '@nestjs/common';
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
    if (origin !== this.expectedOrigin(req)) throw new ForbiddenException(`Cross-site request refused: origin ${origin} is not this server`);
    next();
  }

  private expectedOrigin(req: Request): string {
    if (this.config.publicOrigin) return this.config.publicOrigin;
    // Behind the proxy, express (trust proxy) takes the host from X-Forwarded-Host.
    return `https://${this.config.trustProxy ? req.get('x-forwarded-host') ?? req.get('host') : req.get('host')}`;
  }
}

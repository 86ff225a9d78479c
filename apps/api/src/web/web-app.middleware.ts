import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Injectable, type NestMiddleware } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';
import { API_PREFIX, METRICS_PATH, PING_PATH } from '@conclave/contracts';

/** Where `ng build` puts the browser bundle (apps/web/dist/browser), from apps/api/dist/web. */
export const WEB_ROOT = fileURLToPath(new URL('../../../web/dist/browser/', import.meta.url));
/** The attribute value apps/web/src/index.html carries; replaced by each response's CSP nonce. */
const NONCE_PLACEHOLDER = /__CSP_NONCE__/g;
/** Angular's output names carry a content hash: they can be cached for good. */
const HASHED_ASSET = /-[A-Za-z0-9_]{8}\.(?:js|css)$/;

/**
 * Serves the built Angular app: hashed assets, then index.html for any other path the client-side
 * router owns (not /api/*, not /ping or /metrics, not something that looks like a file), with the CSP nonce
 * filled in so Angular can tag the styles it inserts.
 */
@Injectable()
export class WebAppMiddleware implements NestMiddleware {
  private readonly index = readIndex();
  private readonly assets = express.static(WEB_ROOT, {
    index: false,
    redirect: false,
    setHeaders: (res, path) =>
      res.setHeader('Cache-Control', HASHED_ASSET.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache'),
  });

  use(req: Request, res: Response, next: NextFunction): void {
    // Nest mounts middleware below a route pattern, which rewrites req.url: serve from the full URL.
    const path = new URL(req.originalUrl, 'https://x').pathname;
    if ((req.method !== 'GET' && req.method !== 'HEAD') || isServerRoute(path)) return next();
    const mountRelativeUrl = req.url;
    req.url = req.originalUrl;
    this.assets(req, res, () => {
      req.url = mountRelativeUrl;
      if (extname(path) !== '') return next();
      if (this.index === undefined) {
        res.status(503).type('text/plain').send('The web app is not built: run `npm run build`.\n');
        return;
      }
      res
        .status(200)
        .type('html')
        .setHeader('Cache-Control', 'no-store')
        .send(this.index.replace(NONCE_PLACEHOLDER, res.locals.cspNonce as string));
    });
  }
}

function isServerRoute(path: string): boolean {
  return path === PING_PATH || path === METRICS_PATH || path === `/${API_PREFIX}` || path.startsWith(`/${API_PREFIX}/`);
}

function readIndex(): string | undefined {
  try {
    return readFileSync(join(WEB_ROOT, 'index.html'), 'utf8');
  } catch {
    return undefined;
  }
}

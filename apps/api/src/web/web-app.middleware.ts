import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import expressStaticGzip from 'express-static-gzip';
import { API_PREFIX, METRICS_PATH, PING_PATH } from '@conclave/contracts';

/** Where `ng build` puts the browser bundle (apps/web/dist/browser), from apps/api/dist/web. */
export const WEB_ROOT = fileURLToPath(new URL('../../../web/dist/browser/', import.meta.url));
/** The attribute value apps/web/src/index.html carries; replaced by each response's CSP nonce. */
const NONCE_PLACEHOLDER = /__CSP_NONCE__/g;
/**
 * Angular's output names carry a content hash (letters, digits, `_` and `-`): they can be cached for
 * good, and so can their precompressed variants (FILE.br, FILE.gz).
 */
const HASHED_ASSET = /-[A-Za-z0-9_-]{8}\.(?:js|css)(?:\.br|\.gz)?$/;
/** index.html is rendered per response (its nonce), so compressed per response: quick settings. */
const BROTLI_PER_RESPONSE = { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT } };

/**
 * Serves the built Angular app: hashed assets, then index.html for any other path the client-side
 * router owns (not /api/*, not /ping or /metrics, not something that looks like a file), with the CSP nonce
 * filled in so Angular can tag the styles it inserts.
 */
@Injectable()
export class WebAppMiddleware implements NestMiddleware {
  private readonly index = readIndex();
  /**
   * The files as built, or their brotli/gzip variant that `npm run build` wrote beside them
   * (scripts/precompress.mjs) when Accept-Encoding allows it, with `Vary: Accept-Encoding` and the
   * Content-Type of the file itself.
   */
  private readonly assets = expressStaticGzip(WEB_ROOT, {
    index: false,
    enableBrotli: true,
    orderPreference: ['br', 'gzip'],
    serveStatic: {
      index: false,
      redirect: false,
      setHeaders: (res, path) => {
        res.setHeader('Cache-Control', HASHED_ASSET.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
        // The variant's type is the file's (set by express-static-gzip): spelled as for the file itself.
        const type = res.getHeader('Content-Type');
        if (typeof type === 'string') res.setHeader('Content-Type', type.replace(/charset=UTF-8$/, 'charset=utf-8'));
      },
    },
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
      const page = Buffer.from(this.index.replace(NONCE_PLACEHOLDER, res.locals.cspNonce as string));
      res.status(200).type('html').setHeader('Cache-Control', 'no-store').vary('Accept-Encoding');
      // Brotli first whenever it is accepted (browsers list gzip first), as for the files.
      const encoding = req.acceptsEncodings('br') || req.acceptsEncodings('gzip', 'identity');
      if (encoding === 'br') res.setHeader('Content-Encoding', 'br').send(brotliCompressSync(page, BROTLI_PER_RESPONSE));
      else if (encoding === 'gzip') res.setHeader('Content-Encoding', 'gzip').send(gzipSync(page));
      else res.send(page);
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

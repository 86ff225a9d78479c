import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MetricsService } from './metrics.service.js';
import { routeLabel } from './route-label.js';

/**
 * Times every HTTP request from its arrival to its response, by route pattern. A middleware rather
 * than an interceptor, so that answers no handler gives (guard refusals, CSRF and body-shape
 * refusals, 404s, the web app's files) are counted too.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: MetricsService) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.metrics.httpRequestServed(req.method, routeLabel(req), res.statusCode, seconds);
    });
    next();
  }
}

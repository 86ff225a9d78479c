import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import {
  type CanActivate,
  Controller,
  ForbiddenException,
  Get,
  Global,
  type INestApplication,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  RequestMethod,
  UseGuards,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import pg from 'pg';
import { parseExposition, valueOf } from '../../../../test/support/prometheus.js';
import { DATABASE_POOL } from '../database/database.module.js';
import { MetricsModule } from './metrics.module.js';
import { MetricsService } from './metrics.service.js';
import { NO_ROUTE } from './route-label.js';

class Refuse implements CanActivate {
  canActivate(): boolean {
    throw new ForbiddenException('no');
  }
}

@Controller('things')
class ThingsController {
  @Get(':id')
  one(): { ok: true } {
    return { ok: true };
  }

  @Get(':id/secret')
  @UseGuards(Refuse)
  secret(): never {
    throw new Error('the guard refuses first');
  }
}

/** A middleware that answers by itself, as the CSRF check or the web app's files do. */
function answering(_req: Request, res: Response, _next: NextFunction): void {
  res.status(403).send('refused in a middleware');
}

function passing(_req: Request, _res: Response, next: NextFunction): void {
  next();
}

/** A pool that is never connected: the metrics read its counts only (an error listener all the same, as every pool has). */
@Global()
@Module({ providers: [{ provide: DATABASE_POOL, useFactory: () => new pg.Pool().on('error', () => undefined) }], exports: [DATABASE_POOL] })
class PoolModule {}

@Module({ imports: [PoolModule, MetricsModule], controllers: [ThingsController] })
class ProbeModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Mounted for RequestMethod.ALL, as nestjs-pino mounts its logger: Express routes that set req.route.
    consumer.apply(passing).forRoutes({ path: '{/*splat}', method: RequestMethod.ALL });
    consumer.apply(answering).forRoutes({ path: 'things/:id/blocked', method: RequestMethod.ALL });
  }
}

describe('HTTP request durations (HttpMetricsMiddleware): labelled by route pattern', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    app = await NestFactory.create(ProbeModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => app?.close());

  const counts = async () => {
    const exposition = parseExposition((await app.get(MetricsService).exposition()).body);
    const series = exposition.samples.filter((s) => s.name === 'conclave_http_request_duration_seconds_count');
    return { exposition, series, count: (labels: Record<string, string>) => valueOf(exposition, 'conclave_http_request_duration_seconds_count', labels) };
  };

  it('labels an answered request, and one its guard refused, with the pattern, not the URL', async () => {
    expect((await fetch(`${base}/things/abc123`)).status).toBe(200);
    expect((await fetch(`${base}/things/def456`)).status).toBe(200);
    expect((await fetch(`${base}/things/abc123/secret`)).status).toBe(403);
    const { count, series } = await counts();
    expect(count({ method: 'GET', route: '/things/:id', status_class: '2xx' })).toBe(2);
    expect(count({ method: 'GET', route: '/things/:id/secret', status_class: '4xx' })).toBe(1);
    expect(series.flatMap((s) => Object.values(s.labels)).filter((v) => /abc123|def456/.test(v))).toEqual([]);
  });

  it('labels what no route answered (a middleware, an unknown path) as no route: never a middleware’s pattern or the URL', async () => {
    expect((await fetch(`${base}/things/xyz/blocked`)).status).toBe(403);
    expect((await fetch(`${base}/nothing/here/789`)).status).toBe(404);
    const { count, series } = await counts();
    expect(count({ method: 'GET', route: NO_ROUTE, status_class: '4xx' })).toBe(2);
    expect(series.map((s) => s.labels['route']).sort()).toEqual([NO_ROUTE, '/things/:id', '/things/:id/secret']);
  });

  it('keeps its own registry: another app starts from zero, and the default registry stays empty', async () => {
    const other = await NestFactory.create(ProbeModule, { logger: false });
    await other.init();
    try {
      const body = (await other.get(MetricsService).exposition()).body;
      expect(valueOf(parseExposition(body), 'conclave_http_request_duration_seconds_count', { route: '/things/:id' })).toBe(0);
      expect(valueOf((await counts()).exposition, 'conclave_http_request_duration_seconds_count', { route: '/things/:id' })).toBe(2);
      const { register } = await import('prom-client');
      expect(register.getMetricsAsArray()).toEqual([]);
    } finally {
      await other.close();
    }
  });
});

import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Controller, ForbiddenException, Get, type INestApplication, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { DatabaseUnavailableFilter } from './database-unavailable.filter.js';

const terminated = () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });

@Controller()
class ProbeController {
  @Get('down')
  down(): never {
    throw terminated();
  }

  @Get('forbidden')
  forbidden(): never {
    throw new ForbiddenException('not yours');
  }

  @Get('bug')
  bug(): never {
    throw new TypeError('a bug');
  }

  @Get('session/x')
  session(): { ok: true } {
    return { ok: true };
  }
}

/** With ?fail, a store failure handed to next(err), as express-session does. */
function storeMiddleware(req: Request, res: Response, next: NextFunction): void {
  if (req.query['fail'] === undefined) return next();
  setImmediate(() => next(terminated()));
}

@Module({ controllers: [ProbeController], providers: [{ provide: APP_FILTER, useClass: DatabaseUnavailableFilter }] })
class ProbeModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(storeMiddleware).forRoutes('session/{*path}');
  }
}

describe('DatabaseUnavailableFilter (global)', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    app = await NestFactory.create(ProbeModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => app?.close());

  it('answers a database outage with 503 and Retry-After', async () => {
    const res = await fetch(`${base}/down`);
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await res.json()).toMatchObject({ statusCode: 503, message: expect.stringMatching(/database is unavailable/) });
  });

  it('answers a store failure that a middleware hands to next(err) the same way (express-session does)', async () => {
    const res = await fetch(`${base}/session/x?fail`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).not.toBeNull();
    expect((await fetch(`${base}/session/x`)).status).toBe(200);
  });

  it('leaves every other error to the filters after it', async () => {
    expect((await fetch(`${base}/forbidden`)).status).toBe(403);
    const bug = await fetch(`${base}/bug`);
    expect(bug.status).toBe(500);
    expect(bug.headers.get('retry-after')).toBeNull();
  });
});

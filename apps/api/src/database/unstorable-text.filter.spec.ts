import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Controller, Get, type INestApplication, Module, Query } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { CHAT_EVENTS } from '@conclave/contracts';
import { QueryFailedError } from 'typeorm';
import { SocketErrorFilter } from '../realtime/socket-errors.js';
import { DatabaseUnavailableFilter } from './database-unavailable.filter.js';
import { UnstorableTextFilter } from './unstorable-text.filter.js';
import { UNSTORABLE_TEXT_MESSAGE } from './unstorable-text.js';

/** What pg rejects with, as TypeORM wraps it (the messages PostgreSQL 18 gives). */
const refused = (code: string, message: string) => new QueryFailedError('SELECT $1', ['\u0000'], Object.assign(new Error(message), { code }));
const REFUSALS: Record<string, QueryFailedError> = {
  '22021': refused('22021', 'invalid byte sequence for encoding "UTF8": 0x00'),
  '22P05': refused('22P05', 'unsupported Unicode escape sequence'),
  '22P02': refused('22P02', 'invalid input syntax for type uuid: "x"'),
};

@Controller()
class ProbeController {
  @Get('refused')
  refused(@Query('code') code: string): never {
    throw REFUSALS[code]!;
  }
}

@Module({
  controllers: [ProbeController],
  providers: [
    { provide: APP_FILTER, useClass: DatabaseUnavailableFilter },
    { provide: APP_FILTER, useClass: UnstorableTextFilter },
  ],
})
class ProbeModule {}

describe('UnstorableTextFilter (global)', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    app = await NestFactory.create(ProbeModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => app?.close());

  it.each(['22021', '22P05'])('answers text PostgreSQL refuses (SQLSTATE %s) with 400, not 500', async (code) => {
    const res = await fetch(`${base}/refused?code=${code}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ statusCode: 400, error: 'Bad Request', message: [UNSTORABLE_TEXT_MESSAGE] });
  });

  it('leaves every other refusal of PostgreSQL to the filters after it', async () => {
    expect((await fetch(`${base}/refused?code=22P02`)).status).toBe(500);
  });
});

describe('SocketErrorFilter', () => {
  const answerTo = (exception: unknown) => {
    const emitted: unknown[] = [];
    const socket = { emit: (event: string, error: unknown) => emitted.push([event, error]) };
    const acks: unknown[] = [];
    const host = new ExecutionContextHost([socket, {}, (reply: unknown) => acks.push(reply), 'message:send']);
    host.setType('ws');
    new SocketErrorFilter().catch(exception, host);
    return { emitted, acks };
  };

  it.each(['22021', '22P05'])('answers text PostgreSQL refuses (SQLSTATE %s) as the client\u2019s invalid payload, not a server error', (code) => {
    const error = { code: 'invalid-payload', message: UNSTORABLE_TEXT_MESSAGE, event: 'message:send' };
    expect(answerTo(REFUSALS[code])).toEqual({ emitted: [[CHAT_EVENTS.error, error]], acks: [{ ok: false, error }] });
  });

  it('still answers an unknown failure with server-error', () => {
    expect(answerTo(REFUSALS['22P02']).acks).toEqual([{ ok: false, error: { code: 'server-error', message: 'Something went wrong on the server', event: 'message:send' } }]);
  });
});

import { type ArgumentsHost, BadRequestException, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { UNSTORABLE_TEXT_MESSAGE, UnstorableText } from './unstorable-text.js';

/**
 * Global (APP_FILTER): a request whose text PostgreSQL refused (U+0000, SQLSTATE 22021 or 22P05)
 * gets 400, as PayloadShapeMiddleware would have answered it, rather than a 500. Logged as a
 * warning: it means an input that the middleware's check does not cover yet.
 */
@Catch(UnstorableText)
export class UnstorableTextFilter implements ExceptionFilter {
  private readonly log = new Logger('Database');

  catch(error: Error, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    this.log.warn(`${req.method} ${req.route?.path ?? req.path}: PostgreSQL refused a text of the request (${error.message})`);
    if (res.headersSent) return void res.end();
    const refusal = new BadRequestException([UNSTORABLE_TEXT_MESSAGE]);
    res.status(refusal.getStatus()).json(refusal.getResponse());
  }
}

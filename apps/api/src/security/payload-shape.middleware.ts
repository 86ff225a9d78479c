import { BadRequestException, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { payloadProblem, urlProblem } from './payload-shape.js';

/**
 * Refuses a parsed body, query string or path that no DTO should see (too deeply nested, U+0000, an
 * unpaired surrogate) with 400, right after the body parser and before any guard: LoginAttemptGuard
 * transforms the body itself, ahead of the global ValidationPipe, and a query string reaches SQL
 * through DTOs whose rules (a search text, an audit filter) let any character through.
 */
@Injectable()
export class PayloadShapeMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    const problem = urlProblem(req.query, req.originalUrl.split('?', 1)[0]!) ?? payloadProblem(req.body);
    // As the ValidationPipe words its refusals: a list of messages.
    if (problem) throw new BadRequestException([problem]);
    next();
  }
}

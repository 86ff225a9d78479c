import { BadRequestException, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { payloadProblem } from './payload-shape.js';

/**
 * Refuses a parsed body that no DTO should see (too deeply nested, U+0000, an unpaired surrogate)
 * with 400, right after the body parser and before any guard: LoginAttemptGuard transforms the
 * body itself, ahead of the global ValidationPipe.
 */
@Injectable()
export class PayloadShapeMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    const problem = payloadProblem(req.body);
    // As the ValidationPipe words its refusals: a list of messages.
    if (problem) throw new BadRequestException([problem]);
    next();
  }
}

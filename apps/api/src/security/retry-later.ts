import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';

/**
 * 429 with the seconds until the client may try again: a sign-in lockout, a spent look-up budget.
 * REST answers carry Retry-After (RetryAfterFilter, global); the socket answers 'rate-limited' with
 * retryAfterMs (SocketErrorFilter).
 */
export class RetryLaterException extends HttpException {
  constructor(
    /** What was refused, e.g. "Too many failed sign-ins"; the wait is added to it. */
    what: string,
    readonly retryAfterSeconds: number,
  ) {
    super(
      { statusCode: HttpStatus.TOO_MANY_REQUESTS, error: 'Too Many Requests', message: `${what}: try again in ${inWords(retryAfterSeconds)}`, retryAfterSeconds },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

@Catch(RetryLaterException)
export class RetryAfterFilter implements ExceptionFilter {
  catch(exception: RetryLaterException, host: ArgumentsHost): void {
    host
      .switchToHttp()
      .getResponse<Response>()
      .status(exception.getStatus())
      .setHeader('Retry-After', String(exception.retryAfterSeconds))
      .json(exception.getResponse());
  }
}

function inWords(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

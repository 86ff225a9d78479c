import { type ExecutionContext, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { RateLimit, type RateLimitName } from './rate-limits.js';

const MESSAGES: Partial<Record<RateLimitName, string>> = {
  register: 'Too many sign-ups from this address: try again later',
  admin: 'Too many admin API calls: slow down (Retry-After says when to try again)',
};

/**
 * @nestjs/throttler's guard for routes marked @RateLimit(name): only that named limit counts. Its
 * headers are the plain X-RateLimit-Limit / -Remaining / -Reset and Retry-After (the library would
 * suffix them with the limit's name), so integrators read the same names on every route.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly routes = new Reflector();

  protected override setResponseHeader(res: unknown, name: string, value: number): void {
    super.setResponseHeader(res as never, name.replace(/-(register|admin)$/, ''), value);
  }

  /** The library's exception has no `error` field: the API's every error is {statusCode, error, message}. */
  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const message = await this.getErrorMessage(context, detail);
    throw new HttpException({ statusCode: HttpStatus.TOO_MANY_REQUESTS, error: 'Too Many Requests', message }, HttpStatus.TOO_MANY_REQUESTS);
  }

  protected override async getErrorMessage(context: ExecutionContext, _detail: ThrottlerLimitDetail): Promise<string> {
    const name = this.routes.getAllAndOverride(RateLimit, [context.getHandler(), context.getClass()]);
    return (name && MESSAGES[name]) ?? 'Too many requests: try again later';
  }
}

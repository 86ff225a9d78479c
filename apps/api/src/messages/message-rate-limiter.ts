import { Injectable } from '@nestjs/common';
import type { RateLimited } from '@conclave/contracts';
import { RateLimits } from '../security/throttling/rate-limits.service.js';

/**
 * The per-user message rate: the named rate limit 'messages' ("steady" is 1 message per second;
 * "burst" is 5 per 10 seconds, then muted for 10), counted in the deployment's throttler storage.
 */
@Injectable()
export class MessageRateLimiter {
  constructor(private readonly limits: RateLimits) {}

  /** undefined when the user may send now; otherwise when to retry. */
  async check(userId: string): Promise<RateLimited | undefined> {
    const { blocked, retryAfterSeconds: seconds } = await this.limits.take('messages', userId);
    if (!blocked) return undefined;
    return {
      retryAfterMs: seconds * 1000,
      message: `Rate limit exceeded! Please wait ${seconds} second${seconds === 1 ? '' : 's'} before sending more messages.`,
    };
  }
}

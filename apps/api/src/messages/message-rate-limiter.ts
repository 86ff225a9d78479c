import { Inject, Injectable } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import type { RateLimited } from '@conclave/contracts';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

/**
 * The per-user message rate, on @nestjs/throttler's storage (shared across instances once it is
 * backed by Redis): "steady" is 1 message per second; "burst" is 5 per 10 seconds, then muted for 10.
 */
@Injectable()
export class MessageRateLimiter {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ThrottlerStorage) private readonly storage: ThrottlerStorage,
  ) {}

  /** undefined when the user may send now; otherwise when to retry. */
  async check(userId: string): Promise<RateLimited | undefined> {
    const { limit, windowMs, blockMs } = this.config.chat.rate;
    const { isBlocked, timeToBlockExpire } = await this.storage.increment(`messages:${userId}`, windowMs, limit, blockMs, 'messages');
    if (!isBlocked) return undefined;
    const seconds = Math.max(1, Math.ceil(timeToBlockExpire));
    return {
      retryAfterMs: seconds * 1000,
      message: `Rate limit exceeded! Please wait ${seconds} second${seconds === 1 ? '' : 's'} before sending more messages.`,
    };
  }
}

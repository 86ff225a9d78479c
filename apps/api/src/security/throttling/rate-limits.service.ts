import { Injectable } from '@nestjs/common';
import { InjectThrottlerOptions, InjectThrottlerStorage, type ThrottlerModuleOptions, type ThrottlerOptions, type ThrottlerStorage } from '@nestjs/throttler';
import type { RateLimitName } from './rate-limits.js';

export interface RateLimitOutcome {
  blocked: boolean;
  /** Seconds until the block ends (when blocked). */
  retryAfterSeconds: number;
  /** The definition's limit (hits per window). */
  limit: number;
}

/** Counts a named limit outside the HTTP guard (socket events, the join budget), in the same storage and with the same definition. */
@Injectable()
export class RateLimits {
  private readonly byName: Map<string, ThrottlerOptions>;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
  ) {
    const throttlers = Array.isArray(options) ? options : options.throttlers;
    this.byName = new Map(throttlers.map((t) => [t.name ?? 'default', t]));
  }

  /** One hit of `name` for `key` (a user id, an address). */
  async take(name: RateLimitName, key: string): Promise<RateLimitOutcome> {
    const definition = this.byName.get(name);
    if (!definition) throw new Error(`No rate limit named ${name}`);
    const ttl = Number(definition.ttl);
    const limit = Number(definition.limit);
    const blockDuration = definition.blockDuration === undefined ? 0 : Number(definition.blockDuration);
    const { isBlocked, timeToBlockExpire } = await this.storage.increment(`${name}:${key}`, ttl, limit, blockDuration, name);
    return { blocked: isBlocked, retryAfterSeconds: Math.max(1, Math.ceil(timeToBlockExpire)), limit };
  }

  /**
   * Whether this is `key`'s first call in a window of `name` (its ttl), counted apart from take's
   * hits: for something said once per window, such as that a limit is being enforced.
   */
  async firstInWindow(name: RateLimitName, key: string): Promise<boolean> {
    const definition = this.byName.get(name);
    if (!definition) throw new Error(`No rate limit named ${name}`);
    const { isBlocked } = await this.storage.increment(`${name}:once:${key}`, Number(definition.ttl), 1, 0, name);
    return !isBlocked;
  }
}

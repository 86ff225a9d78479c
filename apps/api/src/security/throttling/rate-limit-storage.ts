import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Pool } from 'pg';
import { PostgresThrottlerStorage } from './postgres-throttler.storage.js';
import { type RedisScripting, RedisThrottlerStorage } from './redis-throttler.storage.js';

/**
 * The deployment's rate-limit storage (semantics: counter-state.ts): Redis when a client is configured (REDIS_URL), else
 * PostgreSQL (a single instance too, so every deployment has one behaviour).
 */
export function rateLimitStorage(pool: Pool, redis?: RedisScripting): ThrottlerStorage {
  return redis ? new RedisThrottlerStorage(redis) : new PostgresThrottlerStorage(pool);
}

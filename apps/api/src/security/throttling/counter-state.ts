import type { ThrottlerStorage } from '@nestjs/throttler';

/** What ThrottlerStorage.increment returns (the library does not export the type by name). */
export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/*
 * What one hit of a key does, in PostgresThrottlerStorage and RedisThrottlerStorage alike (README "Rate limits"):
 * - A window is anchored at the key's first hit and lasts `ttl` ms; the hits in it are counted.
 * - The hit that makes the count exceed `limit` is counted and blocks the key for `blockDuration` ms,
 *   or, when blockDuration is 0, until the window ends. Hits while blocked are refused and not counted.
 * - When the block or the window is over, the next hit starts a new window with a count of 1.
 * So a key's whole state is its count, whether it is blocked, and `resets_at`: when its window (or
 * its block, while blocked) ends. Every instance counts in the same place, and all time is the
 * store's own clock (PostgreSQL's now(), Redis's TIME): instances' clocks differ.
 */

/** A key's state after a hit; `msLeft` is until resets_at (always > 0 right after a hit). */
export interface CounterState {
  hits: number;
  blocked: boolean;
  msLeft: number;
}

/** The library's record: whole seconds, rounded up, until the key resets (and until its block ends; 0 when not blocked). */
export function toRecord({ hits, blocked, msLeft }: CounterState): ThrottlerStorageRecord {
  const seconds = Math.max(1, Math.ceil(msLeft / 1000));
  return { totalHits: hits, timeToExpire: seconds, isBlocked: blocked, timeToBlockExpire: blocked ? seconds : 0 };
}

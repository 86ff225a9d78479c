import { createHash } from 'node:crypto';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { ErrorReply } from 'redis';
import { RedisUnavailable } from '../../database/database-unavailable.js';
import { type ThrottlerStorageRecord, toRecord } from './counter-state.js';

/** Where the counters live in Redis: `conclave:rl:<throttler>:<key>`, one hash each. */
export const REDIS_KEY_PREFIX = 'conclave:rl:';

/**
 * One hit as one script (semantics: counter-state.ts; the same steps as PostgresThrottlerStorage's
 * upsert). Redis runs a script alone, so concurrent hits cannot interleave. The key expires at its
 * resets_at (PEXPIRE), so a missing key is a fresh one and nothing needs cleaning up.
 * KEYS[1] the counter; ARGV ttl ms, limit, blockDuration ms. Returns {hits, blocked (0/1), ms left}.
 */
const HIT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl, limit, block = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'hits', 'blocked', 'resets_at')
local hits, blocked, resets_at = tonumber(state[1]), state[2] == '1', tonumber(state[3])
if hits == nil or resets_at == nil or resets_at <= now then
  hits = 1
  blocked = hits > limit
  resets_at = now + ((blocked and block > 0) and block or ttl)
elseif not blocked then
  hits = hits + 1
  if hits > limit then
    blocked = true
    if block > 0 then resets_at = now + block end
  end
end
redis.call('HSET', KEYS[1], 'hits', hits, 'blocked', blocked and '1' or '0', 'resets_at', resets_at)
redis.call('PEXPIRE', KEYS[1], resets_at - now)
return { hits, blocked and 1 or 0, resets_at - now }`;

const HIT_SHA1 = createHash('sha1').update(HIT).digest('hex');

/** Replies by which Redis says it cannot serve now, rather than that the script is wrong. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|OOM)\b/;

/** A failure of Redis itself (no connection, the command timeout, a transient refusal) as RedisUnavailable (503); a reply refusing the script is a bug and stays as it is. */
function unavailableOr(err: unknown): unknown {
  if (err instanceof ErrorReply && !TRANSIENT_REPLY.test(err.message)) return err;
  return new RedisUnavailable(err);
}

/** What the storage needs of a `redis` (v5) client: scripts, by hash first. */
export interface RedisScripting {
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/**
 * The rate limits' counters in Redis (REDIS_URL), shared by every instance. The script is sent by
 * hash (EVALSHA) and in full only when this Redis does not know it yet (after a restart, a failover).
 * A Redis that does not answer (the client is given a command timeout) fails the hit with
 * RedisUnavailable, which the API answers as it does PostgreSQL being down: 503 with Retry-After.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly redis: RedisScripting) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const call = { keys: [`${REDIS_KEY_PREFIX}${throttlerName}:${key}`], arguments: [String(ttl), String(limit), String(blockDuration)] };
    const reply = await this.redis
      .evalSha(HIT_SHA1, call)
      .catch((err: unknown) => {
        if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return this.redis.eval(HIT, call);
        throw err;
      })
      .catch((err: unknown) => {
        throw unavailableOr(err);
      });
    const [hits, blocked, msLeft] = reply as [number, number, number];
    return toRecord({ hits, blocked: blocked === 1, msLeft });
  }
}

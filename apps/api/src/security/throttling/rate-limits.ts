import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ThrottlerOptions } from '@nestjs/throttler';
import type { Request } from 'express';
import type { AppConfig } from '../../config/app-config.js';

/** The deployment's named rate limits, all counted in the storage every instance shares (rate-limit-storage.ts; README "Rate limits"). */
export type RateLimitName = 'register' | 'joins' | 'joins-by-address' | 'messages' | 'admin' | 'admin-refusals';

/** The rate limit a REST route is counted against (with RateLimitGuard); socket events use RateLimits.take. */
export const RateLimit = Reflector.createDecorator<RateLimitName>();

const reflector = new Reflector();
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** The caller an admin limit counts: the API token, or the admin's own account for a session. */
function adminTracker(record: Record<string, unknown>): string {
  const req = record as unknown as Request;
  const principal = req.principal;
  if (principal?.kind === 'token') return `token:${principal.tokenId}`;
  if (principal?.kind === 'session') return `user:${principal.userId}`;
  return `ip:${req.ip ?? 'unknown'}`;
}

/**
 * Every named limit, from the configuration. A throttler only counts on routes marked with its
 * name (skipIf), so one RateLimitGuard serves them all. 'joins', 'joins-by-address' and 'messages'
 * are counted by socket events and the join routes through RateLimits.take, never by the guard.
 */
export function rateLimitDefinitions(config: AppConfig): ThrottlerOptions[] {
  const only = (name: RateLimitName) => (context: ExecutionContext) => reflector.getAllAndOverride(RateLimit, [context.getHandler(), context.getClass()]) !== name;
  const { limit, windowMs, blockMs } = config.chat.rate;
  return [
    // Sign-ups per client address per hour.
    { name: 'register', ttl: HOUR_MS, limit: config.auth.registerPerHour, skipIf: only('register') },
    // Look-ups of room codes one is not a member of (joins, and any route or event naming a code), per user and per address.
    { name: 'joins', ttl: MINUTE_MS, limit: config.quotas.roomProbesPerUserPerMinute, skipIf: only('joins') },
    { name: 'joins-by-address', ttl: MINUTE_MS, limit: config.quotas.roomProbesPerAddressPerMinute, skipIf: only('joins-by-address') },
    // Chat messages per user; going over mutes for blockMs.
    { name: 'messages', ttl: windowMs, limit, blockDuration: blockMs, skipIf: only('messages') },
    // Admin API calls per token (or per admin, for a session).
    // One budget per caller over every admin route (the library's default key is per route handler).
    { name: 'admin', ttl: MINUTE_MS, limit: config.admin.ratePerMinute, skipIf: only('admin'), getTracker: adminTracker, generateKey: (_context, tracker, name) => `${name}:${tracker}` },
    // Audit rows of refused admin calls (401, 403) per client address: 60 a minute (enough for a person or a broken script;
    // the global guards refuse these before the admin limit counts, so this bounds what a flood writes). Past it: logged only.
    { name: 'admin-refusals', ttl: MINUTE_MS, limit: 60, skipIf: only('admin-refusals') },
  ];
}

import { Injectable } from '@nestjs/common';
import { RetryLaterException } from '../security/retry-later.js';
import { RateLimits } from '../security/throttling/rate-limits.service.js';

export { ROOM_PROBES_PER_USER_PER_MINUTE } from '../config/app-config.js';

/** 429 past a probe budget (Retry-After on REST, 'rate-limited' with retryAfterMs on the socket). */
export class TooManyRoomProbesException extends RetryLaterException {
  constructor(retryAfterSeconds: number) {
    super('Too many look-ups of rooms you are not in', retryAfterSeconds);
  }
}

/**
 * Budgets for look-ups of room codes the caller is not a member of (joins, and any route or event
 * that takes a code), shared by REST and the socket: the named rate limits 'joins' (per user,
 * ROOM_PROBES_PER_USER_PER_MINUTE) and 'joins-by-address' (ROOM_PROBES_PER_ADDRESS_PER_MINUTE), each
 * in windows of a minute from the first look-up (README "Rate limits"). A member's look-ups of their own rooms cost nothing.
 */
@Injectable()
export class RoomProbeBudget {
  constructor(private readonly limits: RateLimits) {}

  /** Counts one probe; throws TooManyRoomProbesException when the user or the address is over budget. */
  async spend(userId: string, address: string): Promise<void> {
    const byUser = await this.limits.take('joins', userId);
    if (byUser.blocked) throw new TooManyRoomProbesException(byUser.retryAfterSeconds);
    // Only after the user's own budget: one user refused there cannot use up everybody's behind the same address.
    const byAddress = await this.limits.take('joins-by-address', address);
    if (byAddress.blocked) throw new TooManyRoomProbesException(byAddress.retryAfterSeconds);
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { RetryLaterException } from '../security/retry-later.js';

/** Look-ups of codes a user is not in, per minute: the join budget (no guessing codes or room passwords at speed). */
export const ROOM_PROBES_PER_USER_PER_MINUTE = 30;
const MINUTE_MS = 60_000;

/** 429 past a probe budget (Retry-After on REST, 'rate-limited' with retryAfterMs on the socket). */
export class TooManyRoomProbesException extends RetryLaterException {
  constructor(retryAfterSeconds: number) {
    super('Too many look-ups of rooms you are not in', retryAfterSeconds);
  }
}

/**
 * Budgets for look-ups of room codes the caller is not a member of (joins, and any route or event
 * that takes a code), shared by REST and the socket: ROOM_PROBES_PER_USER_PER_MINUTE per user and
 * ROOM_PROBES_PER_ADDRESS_PER_MINUTE per client address, each over any sliding minute. Kept in
 * @nestjs/throttler's storage, like the message rate. A member's look-ups of their own rooms cost nothing.
 */
@Injectable()
export class RoomProbeBudget {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ThrottlerStorage) private readonly storage: ThrottlerStorage,
  ) {}

  /** Counts one probe; throws TooManyRoomProbesException when the user or the address is over budget. */
  async spend(userId: string, address: string): Promise<void> {
    await this.take(`user:${userId}`, ROOM_PROBES_PER_USER_PER_MINUTE);
    // Only after the user's own budget: one user refused there cannot use up everybody's behind the same address.
    await this.take(`address:${address}`, this.config.quotas.roomProbesPerAddressPerMinute);
  }

  private async take(key: string, limit: number): Promise<void> {
    // No block duration: a sliding window, so a probe is refused only while `limit` others fall within the last minute.
    const { isBlocked, timeToBlockExpire } = await this.storage.increment(`room-probes:${key}`, MINUTE_MS, limit, 0, 'room-probes');
    if (isBlocked) throw new TooManyRoomProbesException(Math.max(1, timeToBlockExpire));
  }
}

import { RetryLaterException } from '../../security/retry-later.js';

/** 429 for a locked-out username, address or device token (Retry-After: RetryAfterFilter). */
export class TooManyAttemptsException extends RetryLaterException {
  constructor(retryAfterSeconds: number) {
    super('Too many failed sign-ins', retryAfterSeconds);
  }
}

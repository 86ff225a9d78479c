import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';

/** Join attempts per minute per signed-in user: room passwords cannot be guessed at speed. */
export const JOINS_PER_MINUTE = 30;

/** @nestjs/throttler keyed by the signed-in user rather than the IP (colleagues share a NAT). */
@Injectable()
export class JoinThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, any>): Promise<string> {
    return req.session?.userId ?? req.ip;
  }
}

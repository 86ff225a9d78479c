import { type CanActivate, createParamDecorator, type ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
// The session's fields (userId, signedInAt) are declared there.
import type {} from './session.js';

/** Lets a request through only with a live signed-in session: not ended, idle or past its absolute limit. */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    if (!req.session?.userId) throw new UnauthorizedException('Sign in first');
    if (!(await this.liveUserId(req))) throw new UnauthorizedException('Your session has expired: sign in again');
    return true;
  }

  /** The session's user if the session is live; ends a session past its absolute limit. */
  async liveUserId(req: Request): Promise<string | undefined> {
    const { userId, signedInAt } = req.session ?? {};
    if (!userId || !signedInAt) return undefined;
    if (Date.now() - signedInAt <= this.config.auth.sessionMaxSeconds * 1000) return userId;
    await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
    return undefined;
  }
}

/** The signed-in user's id (use behind SessionGuard). */
export const CurrentUserId = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  return context.switchToHttp().getRequest<Request>().session.userId!;
});

import { type CanActivate, createParamDecorator, type ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';

/** Lets a request through only with a live signed-in session: not ended, idle or past its absolute limit. */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const { userId, signedInAt } = req.session ?? {};
    if (!userId || !signedInAt) throw new UnauthorizedException('Sign in first');
    if (Date.now() - signedInAt > this.config.auth.sessionMaxSeconds * 1000) {
      await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
      throw new UnauthorizedException('Your session has expired: sign in again');
    }
    return true;
  }
}

/** The signed-in user's id (use behind SessionGuard). */
export const CurrentUserId = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  return context.switchToHttp().getRequest<Request>().session.userId!;
});

import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ACCOUNT_DISABLED_MESSAGE } from '@conclave/contracts';
import type { Request } from 'express';
import { SessionLifetime } from '../session/session-lifetime.js';
import { ApiTokensService } from '../tokens/api-tokens.service.js';
import { UsersService } from '../users/users.service.js';
import { AcceptsApiTokens, Public } from './decorators.js';
import type { SessionPrincipal } from './principal.js';

/** Why a request without a usable session is refused (401). */
const REFUSALS = {
  none: 'Sign in first',
  expired: 'Your session has expired: sign in again',
  // An admin disabled the account: signing in again would not help, so the browser is told why.
  disabled: ACCOUNT_DISABLED_MESSAGE,
} as const;

const TOKENS_NOT_HERE = 'API tokens are accepted only on the admin API (/api/admin/v1) and /metrics: this route needs a signed-in session';

/**
 * The one authentication step of every REST route (APP_GUARD; sockets authenticate at their
 * handshake): the session cookie or, where the route accepts them (@AcceptsApiTokens), an
 * `Authorization: Bearer` API token, becomes req.principal. A route without @Public() needs one.
 * A disabled account's session ends here at its next request.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionLifetime,
    private readonly tokens: ApiTokensService,
    private readonly users: UsersService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Request>();
    const targets = [context.getHandler(), context.getClass()];
    const isPublic = this.reflector.getAllAndOverride(Public, targets) ?? false;
    const authorization = req.headers.authorization;
    // Only the Bearer scheme is a token: a proxy's Basic credentials (sent by the browser on every request) are not ours to judge.
    if (authorization !== undefined && /^Bearer(\s|$)/i.test(authorization.trim()) && !isPublic) {
      if (!this.reflector.getAllAndOverride(AcceptsApiTokens, targets)) throw new UnauthorizedException(TOKENS_NOT_HERE);
      req.principal = await this.tokens.authenticate(authorization, req.ip);
      return true;
    }
    const signedIn = Boolean(req.session?.userId);
    const session = signedIn ? await this.sessionPrincipal(req) : 'none';
    if (typeof session === 'object') req.principal = session;
    else if (!isPublic) throw new UnauthorizedException(REFUSALS[session]);
    return true;
  }

  /** The live session's user; a session past its absolute limit, or of a disabled or deleted account, is ended. */
  private async sessionPrincipal(req: Request): Promise<SessionPrincipal | 'expired' | 'disabled'> {
    const userId = await this.sessions.liveUserId(req);
    if (!userId) return 'expired';
    const user = await this.users.findById(userId);
    if (!user || user.disabledAt) {
      await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
      return user ? 'disabled' : 'expired';
    }
    return { kind: 'session', userId, username: user.username, admin: user.isAdmin };
  }
}

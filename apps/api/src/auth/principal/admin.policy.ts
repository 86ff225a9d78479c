import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ApiTokenScope } from '@conclave/contracts';
import type { Request } from 'express';
import { AcceptsApiTokens } from './decorators.js';

/**
 * What an admin route needs: a scope (an admin's session, or a token carrying that scope), or
 * 'admin-session' (an admin's session only: token management and granting admin, which a token
 * must never be able to do to widen its own reach).
 */
export const AdminAccess = Reflector.createDecorator<ApiTokenScope | 'admin-session'>();

/** The admin policy, beside AuthenticationGuard (APP_GUARD after it): a no-op on routes without @AdminAccess. */
@Injectable()
export class AdminPolicy implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    const needed = this.reflector.getAllAndOverride(AdminAccess, targets);
    if (needed === undefined) {
      // Fail closed: a route that takes API tokens is an admin route, and one without its access named is a mistake.
      if (this.reflector.getAllAndOverride(AcceptsApiTokens, targets)) throw new ForbiddenException('This route names no admin access: refused');
      return true;
    }
    const principal = context.switchToHttp().getRequest<Request>().principal;
    if (principal?.kind === 'session') {
      if (principal.admin) return true;
      throw new ForbiddenException('Only site admins may use the admin API');
    }
    if (principal?.kind === 'token') {
      if (needed === 'admin-session') throw new ForbiddenException('This needs an admin signed in with a session: API tokens cannot manage tokens or admins');
      if (principal.scopes.includes(needed)) return true;
      throw new ForbiddenException(`This API token lacks the "${needed}" scope`);
    }
    throw new ForbiddenException('Only site admins may use the admin API');
  }
}

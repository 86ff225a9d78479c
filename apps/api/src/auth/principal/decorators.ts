import { createParamDecorator, type ExecutionContext, InternalServerErrorException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { type Actor, actorOf, type Principal } from './principal.js';

/** A route (or controller) anyone may call; a caller's session is still resolved when there is one. */
export const Public = Reflector.createDecorator<boolean>({ transform: () => true });

/**
 * A route (or controller) that accepts `Authorization: Bearer cnk_…` API tokens as well as an admin's
 * session: the admin API and /metrics only. Everywhere else a bearer token is refused (401).
 */
export const AcceptsApiTokens = Reflector.createDecorator<boolean>({ transform: () => true });

function principalOf(context: ExecutionContext): Principal {
  const principal = context.switchToHttp().getRequest<Request>().principal;
  if (!principal) throw new InternalServerErrorException('No principal: is the route @Public()?');
  return principal;
}

/** The caller (behind AuthenticationGuard, on a route that is not @Public()). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => principalOf(context));

/** Who acts, as the audit log records it: the caller's user, or a token's creator with the token. */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => actorOf(principalOf(context)));

/** The signed-in user's id: for user routes, which only sessions reach. */
export const CurrentUserId = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const principal = context.switchToHttp().getRequest<Request>().principal;
  if (principal?.kind !== 'session') throw new InternalServerErrorException('No signed-in user: is the route @Public() or token-accepting?');
  return principal.userId;
});

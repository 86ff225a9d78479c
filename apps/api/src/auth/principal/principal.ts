import type { ApiTokenScope } from '@conclave/contracts';

/**
 * Who is calling, as the global AuthenticationGuard resolved it (README "Administration"): a signed-in
 * user's session, or an API token (admin API and metrics only). Routes read it with @CurrentPrincipal()
 * or @CurrentUserId(); policies (AdminPolicy, RoomAccessGuard) decide what it may do.
 */
export type Principal = SessionPrincipal | TokenPrincipal;

export interface SessionPrincipal {
  readonly kind: 'session';
  readonly userId: string;
  readonly username: string;
  /** A site admin. */
  readonly admin: boolean;
}

export interface TokenPrincipal {
  readonly kind: 'token';
  readonly tokenId: string;
  readonly scopes: readonly ApiTokenScope[];
  /** The admin who made the token (it works only while they are an enabled admin). */
  readonly createdBy: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by AuthenticationGuard; absent on a public route called without credentials. */
    principal?: Principal;
  }
}

/** Who acted, for the audit log: a user, and the API token when one was used (the user is then its creator). */
export interface Actor {
  readonly actorId: string;
  readonly tokenId: string | null;
}

export function actorOf(principal: Principal): Actor {
  return principal.kind === 'session' ? { actorId: principal.userId, tokenId: null } : { actorId: principal.createdBy, tokenId: principal.tokenId };
}

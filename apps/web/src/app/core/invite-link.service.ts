import { Injectable, signal } from '@angular/core';
import { ROOM_CODE_PATTERN } from '@conclave/contracts';

/** An invite link being followed: the room code and the secret from the link's fragment. */
export interface OpenedInvite {
  code: string;
  secret: string;
}

/** The secret is unpadded base64url of 32 bytes (docs/protocol.md, "Invites"). */
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The invite link a signed-out visitor opened, kept while they sign up or sign in. In memory and in
 * the URL's fragment only (sign-in and sign-up carry it as ?invite=CODE#SECRET across a reload):
 * never in localStorage, never sent to a server.
 */
@Injectable({ providedIn: 'root' })
export class InviteLinkService {
  readonly opened = signal<OpenedInvite | null>(null);

  /** Keeps a well-formed link; anything else is no invite. */
  remember(code: string | null | undefined, secret: string | null | undefined): OpenedInvite | null {
    const invite = parseInvite(code, secret);
    if (invite) this.opened.set(invite);
    return invite;
  }

  /** Done with it (joined, or declined by the user). */
  clear(): void {
    this.opened.set(null);
  }
}

export function parseInvite(code: string | null | undefined, secret: string | null | undefined): OpenedInvite | null {
  const upper = code?.trim().toUpperCase() ?? '';
  return ROOM_CODE_PATTERN.test(upper) && secret && SECRET_PATTERN.test(secret) ? { code: upper, secret } : null;
}

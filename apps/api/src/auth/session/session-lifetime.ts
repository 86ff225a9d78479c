import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
// The session's fields (userId, signedInAt) are declared there.
import type {} from './session.js';

/**
 * The absolute limit of a session (SESSION_MAX_SECONDS after sign-in; the idle limit is the cookie's
 * rolling expiry). AuthenticationGuard asks it before it trusts a session.
 */
@Injectable()
export class SessionLifetime {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** The session's user if the session is live; ends a session past its absolute limit. */
  async liveUserId(req: Request): Promise<string | undefined> {
    const { userId, signedInAt } = req.session ?? {};
    if (!userId || !signedInAt) return undefined;
    if (Date.now() - signedInAt <= this.config.auth.sessionMaxSeconds * 1000) return userId;
    await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
    return undefined;
  }
}

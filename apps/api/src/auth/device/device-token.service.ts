import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DEVICE_COOKIE } from '@conclave/contracts';
import type { Response } from 'express';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { DEVICE_TOKEN_SECRET } from './device-token-secret.js';

/** What a device token says: the username it was issued to, its nonce (its own lockout counter), its expiry. */
interface DeviceClaims {
  u: string;
  n: string;
  /** Seconds since 1970. */
  e: number;
}

/**
 * OWASP's device cookies: a browser that signed in as a user keeps a token naming that user. The
 * token is `base64url(JSON claims).base64url(HMAC-SHA256)`; the expiry is inside the signed part, so
 * a client cannot extend it.
 */
@Injectable()
export class DeviceTokenService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DEVICE_TOKEN_SECRET) private readonly secret: Buffer,
  ) {}

  /** Sets a new device token for `username` (a fresh nonce, and so a fresh counter) on the response. */
  remember(res: Response, username: string): void {
    const { lifetimeSeconds } = this.config.auth.deviceTokens;
    const claims: DeviceClaims = { u: username, n: randomBytes(16).toString('base64url'), e: Math.floor(Date.now() / 1000) + lifetimeSeconds };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    res.cookie(DEVICE_COOKIE, `${payload}.${this.sign(payload)}`, { httpOnly: true, secure: true, sameSite: 'strict', path: '/', maxAge: lifetimeSeconds * 1000 });
  }

  /**
   * The nonce of a device token that is genuine, unexpired and issued to `username`; undefined
   * otherwise (a forged, expired or other user's token counts as no token).
   */
  nonceFor(token: string | undefined, username: string): string | undefined {
    const [payload, signature, ...rest] = token?.split('.') ?? [];
    if (!payload || !signature || rest.length) return undefined;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as DeviceClaims;
    return claims.u === username && claims.e > Date.now() / 1000 ? claims.n : undefined;
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(`conclave-device-token:${payload}`).digest('base64url');
  }
}

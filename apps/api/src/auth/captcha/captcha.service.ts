import { createHash } from 'node:crypto';
import { BadRequestException, Inject, Injectable, Logger, type OnModuleInit, ServiceUnavailableException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomInt } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import { AltchaService, deriveHmacKeySecret } from 'altcha-lib/frameworks/nestjs';
import type { CaptchaConfig } from '@conclave/contracts';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { ServerSecretsService } from '../../security/secrets/server-secrets.service.js';

const CHALLENGE_TTL_SECONDS = 600;

/**
 * The sign-up captcha: ALTCHA proof-of-work (self-hosted, works offline) by default; Google
 * reCAPTCHA v2 when RECAPTCHA_SITE_KEY and RECAPTCHA_SECRET_KEY are set. A solution counts once.
 */
@Injectable()
export class CaptchaService implements OnModuleInit {
  private readonly log = new Logger(CaptchaService.name);
  private altcha?: AltchaService;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly secrets: ServerSecretsService,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  async onModuleInit(): Promise<void> {
    const captcha = this.config.auth.captcha;
    if (captcha.provider !== 'altcha') return;
    const secret = await this.secrets.get('altcha-hmac');
    this.altcha = new AltchaService({
      deriveKey,
      hmacSignatureSecret: secret,
      hmacKeySignatureSecret: await deriveHmacKeySecret(secret),
      createChallengeParameters: () => ({
        algorithm: 'PBKDF2/SHA-256',
        cost: captcha.cost,
        counter: randomInt(Math.floor(captcha.maxCounter / 2), captcha.maxCounter),
        expiresAt: Math.floor(Date.now() / 1000) + CHALLENGE_TTL_SECONDS,
      }),
      store: { get: () => false, set: () => undefined, setIfAbsent: (key) => this.spend(`altcha:${key}`) },
    });
  }

  async challenge(): Promise<CaptchaConfig> {
    const captcha = this.config.auth.captcha;
    if (captcha.provider === 'recaptcha') return { provider: 'recaptcha', siteKey: captcha.siteKey };
    const { configuration: _none, ...challenge } = await this.altcha!.getChallenge();
    return { provider: 'altcha', challenge };
  }

  /** Throws 400 with a message the sign-up page can show unless `solution` is a fresh, valid solution. */
  async verify(solution: string, ip: string): Promise<void> {
    const captcha = this.config.auth.captcha;
    if (captcha.provider === 'altcha') {
      const result = await this.altcha!.verify(solution);
      if (result.error !== null) throw new BadRequestException(`Captcha not solved: ${result.error}`);
      return;
    }
    const verdict = await this.askRecaptcha(captcha.verifyUrl, captcha.secretKey, solution, ip);
    if (verdict.success !== true) throw new BadRequestException(`Captcha not solved (${(verdict['error-codes'] ?? ['rejected']).join(', ')})`);
    if (!(await this.spend(`recaptcha:${createHash('sha256').update(solution).digest('base64url')}`))) throw new BadRequestException('Captcha not solved: this solution was already used');
  }

  private async askRecaptcha(url: string, secret: string, response: string, remoteip: string): Promise<{ success?: boolean; 'error-codes'?: string[] }> {
    try {
      const res = await fetch(url, {
        method: 'POST',
        body: new URLSearchParams({ secret, response, remoteip }),
        signal: AbortSignal.timeout(10_000),
      });
      return (await res.json()) as { success?: boolean };
    } catch (err) {
      this.log.error(`reCAPTCHA verification failed: ${(err as Error).message}`);
      throw new ServiceUnavailableException('The captcha cannot be checked right now; try again in a minute');
    }
  }

  /** Records a solution as used; false if it already was (replay). Old entries are swept as we go. */
  private async spend(key: string): Promise<boolean> {
    await this.db.query(`DELETE FROM spent_captchas WHERE expires_at < now()`);
    const rows = await this.db.query(
      `INSERT INTO spent_captchas (key, expires_at) VALUES ($1, now() + make_interval(secs => $2)) ON CONFLICT DO NOTHING RETURNING key`,
      [key, CHALLENGE_TTL_SECONDS * 2],
    );
    return rows.length === 1;
  }
}

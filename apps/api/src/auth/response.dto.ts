import { ApiProperty } from '@nestjs/swagger';
import type { CaptchaConfig, LoginResponse, MeResponse, RegisterResponse, SessionResponse, UserKeysResponse } from '@conclave/contracts';
import { KeyBackupDto, PublicKeysDto } from './dto.js';

/** Swagger examples the auth answers share. */
const USER_ID = { format: 'uuid', example: '3f1c2b9e-8d4a-4e6b-9a7c-1d2e3f4a5b6c' } as const;
const USERNAME = { example: 'alice', description: '3-32 of a-z 0-9 _ . -' } as const;

export class RegisterResponseDto implements RegisterResponse {
  @ApiProperty(USER_ID)
  id!: string;

  @ApiProperty(USERNAME)
  username!: string;
}

export class MeResponseDto implements MeResponse {
  @ApiProperty(USER_ID)
  id!: string;

  @ApiProperty(USERNAME)
  username!: string;

  @ApiProperty({ type: PublicKeysDto, description: 'The identity keys others wrap room keys to and check signatures with' })
  publicKeys!: PublicKeysDto;

  @ApiProperty({ description: 'A site admin (the web app shows the admin console)', example: false })
  admin!: boolean;
}

export class LoginResponseDto extends MeResponseDto implements LoginResponse {
  @ApiProperty({ type: KeyBackupDto, description: 'The private keys sealed under the password-derived wrapKey: the browser opens them' })
  keyBackup!: KeyBackupDto;
}

export class SessionResponseDto implements SessionResponse {
  @ApiProperty({ type: MeResponseDto, nullable: true, description: 'The signed-in user; null when nobody is signed in on this session' })
  user!: MeResponseDto | null;
}

export class UserKeysResponseDto implements UserKeysResponse {
  @ApiProperty(USER_ID)
  id!: string;

  @ApiProperty(USERNAME)
  username!: string;

  @ApiProperty({ type: PublicKeysDto })
  publicKeys!: PublicKeysDto;
}

type AltchaCaptcha = Extract<CaptchaConfig, { provider: 'altcha' }>;
type RecaptchaCaptcha = Extract<CaptchaConfig, { provider: 'recaptcha' }>;

/** CAPTCHA_PROVIDER=altcha (the default): a proof-of-work challenge the sign-up page's widget solves. */
export class AltchaCaptchaDto implements AltchaCaptcha {
  @ApiProperty({ enum: ['altcha'] })
  provider!: 'altcha';

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: "The ALTCHA challenge (altcha-lib's JSON, signed by the server): pass it to the widget or to altcha-lib's solveChallenge unchanged",
    example: { parameters: { algorithm: 'PBKDF2/SHA-256', cost: 1000, expiresAt: 1796315972, keyLength: 32, nonce: 'd29277804b236435753a6e0b97b98b6d', salt: 'ef5a439c860e3724e99e43890a97a52e' }, signature: '1d738abb…' },
  })
  challenge!: Record<string, unknown>;
}

/** CAPTCHA_PROVIDER=recaptcha: the site key of Google reCAPTCHA. */
export class RecaptchaCaptchaDto implements RecaptchaCaptcha {
  @ApiProperty({ enum: ['recaptcha'] })
  provider!: 'recaptcha';

  @ApiProperty({ example: '6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI' })
  siteKey!: string;
}

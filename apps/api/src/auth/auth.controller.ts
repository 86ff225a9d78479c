import { Body, Controller, Get, HttpCode, Post, Req, Res, UnauthorizedException, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { API_PATHS, type CaptchaConfig, type KeyBackup, type LoginResponse, type MeResponse, type RegisterResponse, SESSION_COOKIE, type SessionResponse } from '@conclave/contracts';
import type { Request, Response } from 'express';
import { SignInFailedBodyDto } from '../docs/error-body.dto.js';
import { ApiMalformedBodyResponse, ApiRetryLaterResponse, ApiSession, ApiSessionWithCredential } from '../docs/route-docs.js';
import { AuditService } from '../security/audit/audit.service.js';
import { RateLimitGuard } from '../security/throttling/rate-limit.guard.js';
import { RateLimit } from '../security/throttling/rate-limits.js';
import { AuthService } from './auth.service.js';
import { CaptchaService } from './captcha/captcha.service.js';
import { DeviceTokenService } from './device/device-token.service.js';
import { CurrentSignInClient, type SignInClient } from './device/sign-in-client.js';
import { ChangePasswordDto, KeyBackupDto, KeyBackupRequestDto, RegisterDto } from './dto.js';
import { LocalAuthGuard, LoginAttemptGuard } from './login.guard.js';
import { CurrentUserId, Public } from './principal/decorators.js';
import { AltchaCaptchaDto, LoginResponseDto, MeResponseDto, RecaptchaCaptchaDto, RegisterResponseDto, SessionResponseDto } from './response.dto.js';
import { SessionLifetime } from './session/session-lifetime.js';
import type { User } from './users/user.entity.js';
import { UsersService } from './users/users.service.js';

@ApiTags('auth')
@Controller(API_PATHS.auth.prefix)
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly captcha: CaptchaService,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly sessionLifetime: SessionLifetime,
    private readonly devices: DeviceTokenService,
  ) {}

  @Get(API_PATHS.auth.captcha)
  @Public()
  @ApiOperation({ summary: 'The captcha the sign-up page shows: an ALTCHA challenge, or the reCAPTCHA site key' })
  @ApiExtraModels(AltchaCaptchaDto, RecaptchaCaptchaDto)
  @ApiOkResponse({
    description: 'Which captcha CAPTCHA_PROVIDER configures; its solution goes into the registration',
    schema: {
      oneOf: [{ $ref: getSchemaPath(AltchaCaptchaDto) }, { $ref: getSchemaPath(RecaptchaCaptchaDto) }],
      discriminator: { propertyName: 'provider', mapping: { altcha: getSchemaPath(AltchaCaptchaDto), recaptcha: getSchemaPath(RecaptchaCaptchaDto) } },
    },
  })
  @ApiMalformedBodyResponse()
  getCaptcha(): Promise<CaptchaConfig> {
    return this.captcha.challenge();
  }

  @Post(API_PATHS.auth.register)
  @Public()
  @UseGuards(RateLimitGuard)
  @RateLimit('register')
  @ApiOperation({ summary: 'Create an account: credential (authKey), public keys, sealed key backup, captcha solution' })
  @ApiCreatedResponse({ type: RegisterResponseDto, description: 'The account exists; sign in next' })
  @ApiBadRequestResponse({ description: 'Malformed field or captcha not solved' })
  @ApiConflictResponse({ description: 'Username (or user id) taken' })
  @ApiTooManyRequestsResponse({ description: 'Too many registrations from this address (REGISTER_LIMIT_PER_HOUR): Retry-After and X-RateLimit-* say when to try again' })
  register(@Body() dto: RegisterDto, @Req() req: Request): Promise<RegisterResponse> {
    return this.auth.register(dto, req.ip ?? 'unknown');
  }

  @Post(API_PATHS.auth.login)
  @Public()
  @HttpCode(200)
  @UseGuards(LoginAttemptGuard, LocalAuthGuard)
  @ApiOperation({ summary: 'Sign in with username + authKey; starts a new session and returns the sealed key backup' })
  @ApiOkResponse({ type: LoginResponseDto, description: 'Signed in; the session cookie and a new device token are set' })
  @ApiBadRequestResponse({ description: 'A malformed username or authKey' })
  @ApiUnauthorizedResponse({ type: SignInFailedBodyDto, description: 'Wrong username or password (attemptsLeft: failures left before a lockout)' })
  @ApiForbiddenResponse({ description: 'The account has been disabled by an administrator (told only after the right password)' })
  @ApiRetryLaterResponse('Locked out after repeated failures (Retry-After says for how long)')
  async login(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<LoginResponse> {
    const user = req.user as User;
    // A fresh session id at every sign-in: no session fixation.
    await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
    req.session.userId = user.id;
    req.session.signedInAt = Date.now();
    await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
    this.devices.remember(res, user.username);
    await this.users.touchLastSeen(user.id);
    await this.audit.record({ event: 'auth.login', actorId: user.id, ip: req.ip ?? null });
    return this.auth.loginResponse(user);
  }

  @Post(API_PATHS.auth.logout)
  @Public()
  @HttpCode(204)
  @ApiOperation({ summary: 'End this session (the browser also forgets its keys)' })
  @ApiNoContentResponse()
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const userId = req.session?.userId;
    // A session the store could not delete (the database is down) is not reported as ended: 503.
    if (req.session) await new Promise<void>((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
    res.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, secure: true, sameSite: 'strict' });
    if (userId) await this.audit.record({ event: 'auth.logout', actorId: userId, ip: req.ip ?? null });
  }

  @Get(API_PATHS.auth.me)
  @ApiSession()
  @ApiOperation({ summary: 'The signed-in user' })
  @ApiOkResponse({ type: MeResponseDto })
  async me(@CurrentUserId() userId: string): Promise<MeResponse> {
    const user = await this.users.findById(userId);
    if (!user) throw new UnauthorizedException('Sign in first');
    return this.auth.me(user);
  }

  @Get(API_PATHS.auth.session)
  @Public()
  @ApiOperation({ summary: 'Who is signed in on this session, if anyone (200 either way)' })
  @ApiOkResponse({ type: SessionResponseDto })
  @ApiMalformedBodyResponse()
  async session(@Req() req: Request): Promise<SessionResponse> {
    const userId = await this.sessionLifetime.liveUserId(req);
    const user = userId ? await this.users.findById(userId) : null;
    return { user: user && this.auth.me(user) };
  }

  @Post(API_PATHS.auth.keyBackup)
  @HttpCode(200)
  @ApiSessionWithCredential()
  @ApiOperation({ summary: 'The sealed key backup, for the current authKey: a password change re-seals it under the new password' })
  @ApiOkResponse({ type: KeyBackupDto, description: 'The key backup, sealed under the current password' })
  @ApiBadRequestResponse({ description: 'A malformed authKey' })
  @ApiRetryLaterResponse('Locked out after repeated failures (Retry-After says for how long)')
  keyBackup(@Body() dto: KeyBackupRequestDto, @CurrentUserId() userId: string, @CurrentSignInClient() client: SignInClient): Promise<KeyBackup> {
    return this.auth.keyBackup(userId, dto.authKey, client);
  }

  @Post(API_PATHS.auth.password)
  @HttpCode(204)
  @ApiSessionWithCredential()
  @ApiOperation({ summary: 'Change the password: prove the current authKey, store the new one, the re-sealed backup and contact book, end other sessions' })
  @ApiNoContentResponse()
  @ApiBadRequestResponse({ description: 'A malformed authKey, key backup or contact book' })
  @ApiRetryLaterResponse('Locked out after repeated failures (Retry-After says for how long)')
  changePassword(@Body() dto: ChangePasswordDto, @CurrentUserId() userId: string, @Req() req: Request, @CurrentSignInClient() client: SignInClient): Promise<void> {
    return this.auth.changePassword(userId, dto.currentAuthKey, dto.newAuthKey, { keyBackup: dto.newKeyBackup, contactBook: dto.newContactBook }, req.sessionID, client);
  }
}

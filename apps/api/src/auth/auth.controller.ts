import { Body, Controller, Get, HttpCode, Post, Req, Res, UnauthorizedException, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { type CaptchaConfig, type KeyBackup, type LoginResponse, type MeResponse, type RegisterResponse, SESSION_COOKIE, type SessionResponse } from '@conclave/contracts';
import type { Request, Response } from 'express';
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
import { SessionGuard } from './session/session.guard.js';
import type { User } from './users/user.entity.js';
import { UsersService } from './users/users.service.js';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly captcha: CaptchaService,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly sessionGuard: SessionGuard,
    private readonly devices: DeviceTokenService,
  ) {}

  @Get('captcha')
  @Public()
  @ApiOperation({ summary: 'The captcha the sign-up page shows: an ALTCHA challenge, or the reCAPTCHA site key' })
  getCaptcha(): Promise<CaptchaConfig> {
    return this.captcha.challenge();
  }

  @Post('register')
  @Public()
  @UseGuards(RateLimitGuard)
  @RateLimit('register')
  @ApiOperation({ summary: 'Create an account: credential (authKey), public keys, sealed key backup, captcha solution' })
  @ApiCreatedResponse({ description: 'The account exists; sign in next' })
  @ApiBadRequestResponse({ description: 'Malformed field or captcha not solved' })
  @ApiConflictResponse({ description: 'Username (or user id) taken' })
  @ApiTooManyRequestsResponse({ description: 'Too many registrations from this address' })
  register(@Body() dto: RegisterDto, @Req() req: Request): Promise<RegisterResponse> {
    return this.auth.register(dto, req.ip ?? 'unknown');
  }

  @Post('login')
  @Public()
  @HttpCode(200)
  @UseGuards(LoginAttemptGuard, LocalAuthGuard)
  @ApiOperation({ summary: 'Sign in with username + authKey; starts a new session and returns the sealed key backup' })
  @ApiOkResponse({ description: 'Signed in; the session cookie and a new device token are set' })
  @ApiUnauthorizedResponse({ description: 'Wrong username or password (attemptsLeft: failures left before a lockout)' })
  @ApiTooManyRequestsResponse({ description: 'Locked out after repeated failures (Retry-After says for how long)' })
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

  @Post('logout')
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

  @Get('me')
  @ApiOperation({ summary: 'The signed-in user' })
  @ApiOkResponse()
  @ApiUnauthorizedResponse({ description: 'Not signed in, or the session ended' })
  async me(@CurrentUserId() userId: string): Promise<MeResponse> {
    const user = await this.users.findById(userId);
    if (!user) throw new UnauthorizedException('Sign in first');
    return this.auth.me(user);
  }

  @Get('session')
  @Public()
  @ApiOperation({ summary: 'Who is signed in on this session, if anyone (200 either way)' })
  @ApiOkResponse()
  async session(@Req() req: Request): Promise<SessionResponse> {
    const userId = await this.sessionGuard.liveUserId(req);
    const user = userId ? await this.users.findById(userId) : null;
    return { user: user && this.auth.me(user) };
  }

  @Post('key-backup')
  @HttpCode(200)
  @ApiOperation({ summary: 'The sealed key backup, for the current authKey: a password change re-seals it under the new password' })
  @ApiOkResponse({ type: KeyBackupDto, description: 'The key backup, sealed under the current password' })
  @ApiUnauthorizedResponse({ description: 'The current password is wrong (attemptsLeft: failures left before a lockout)' })
  @ApiTooManyRequestsResponse({ description: 'Locked out after repeated failures (Retry-After says for how long)' })
  keyBackup(@Body() dto: KeyBackupRequestDto, @CurrentUserId() userId: string, @CurrentSignInClient() client: SignInClient): Promise<KeyBackup> {
    return this.auth.keyBackup(userId, dto.authKey, client);
  }

  @Post('password')
  @HttpCode(204)
  @ApiOperation({ summary: 'Change the password: prove the current authKey, store the new one, the re-sealed backup and contact book, end other sessions' })
  @ApiNoContentResponse()
  @ApiUnauthorizedResponse({ description: 'The current password is wrong (attemptsLeft: failures left before a lockout)' })
  @ApiTooManyRequestsResponse({ description: 'Locked out after repeated failures (Retry-After says for how long)' })
  changePassword(@Body() dto: ChangePasswordDto, @CurrentUserId() userId: string, @Req() req: Request, @CurrentSignInClient() client: SignInClient): Promise<void> {
    return this.auth.changePassword(userId, dto.currentAuthKey, dto.newAuthKey, { keyBackup: dto.newKeyBackup, contactBook: dto.newContactBook }, req.sessionID, client);
  }
}

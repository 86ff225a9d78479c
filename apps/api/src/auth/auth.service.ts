import { randomUUID } from 'node:crypto';
import { ConflictException, BadRequestException, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { ACCOUNT_DISABLED_MESSAGE, type KeyBackup, type LoginResponse, type MeResponse, type RegisterResponse, type SealedContactBook } from '@conclave/contracts';
import { importPublicKeys } from '@conclave/crypto';
import { compare, hash } from 'bcrypt';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { AuditService } from '../security/audit/audit.service.js';
import { AdminUsernames } from './admins/admin-usernames.js';
import { CaptchaService } from './captcha/captcha.service.js';
import type { RegisterDto } from './dto.js';
import { DeviceTokenService } from './device/device-token.service.js';
import type { SignInClient } from './device/sign-in-client.js';
import { type AttemptSubject, LoginLockoutService, type ReservedAttempt } from './lockout/login-lockout.service.js';
import { SignInFailedException } from './lockout/sign-in-failed.js';
import { TooManyAttemptsException } from './lockout/too-many-attempts.js';
import type { User } from './users/user.entity.js';
import { UsersService } from './users/users.service.js';

@Injectable()
export class AuthService {
  /** Compared against when the username does not exist, so the answer takes as long either way. */
  private readonly noSuchUserHash: Promise<string>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly captcha: CaptchaService,
    private readonly lockout: LoginLockoutService,
    private readonly devices: DeviceTokenService,
    private readonly audit: AuditService,
    private readonly adminUsernames: AdminUsernames,
    private readonly metrics: MetricsService,
  ) {
    this.noSuchUserHash = hash(randomUUID(), config.auth.bcryptCost);
  }

  async register(dto: RegisterDto, ip: string): Promise<RegisterResponse> {
    // The same check every client makes before wrapping a room key for this user.
    await importPublicKeys(dto.publicKeys).catch((err: Error) => {
      throw new BadRequestException(`publicKeys: ${err.message}`);
    });
    if (await this.users.findByUsername(dto.username)) throw new ConflictException(`The username "${dto.username}" is taken`);
    await this.captcha.verify(dto.captcha, ip);
    const outcome = await this.users.create({
      id: dto.userId,
      username: dto.username,
      authHash: await hash(dto.authKey, this.config.auth.bcryptCost),
      publicKeys: { enc: dto.publicKeys.enc, sig: dto.publicKeys.sig },
      keyBackup: { v: 1, iv: dto.keyBackup.iv, ct: dto.keyBackup.ct },
      admin: this.adminUsernames.names(dto.username),
    });
    if (outcome === 'username-taken') throw new ConflictException(`The username "${dto.username}" is taken`);
    if (outcome === 'id-taken') throw new ConflictException('This user id is taken: generate a new identity and retry');
    await this.audit.record({ event: 'auth.registered', actorId: dto.userId, ip, details: { username: dto.username } });
    if (outcome === 'created-admin') await this.adminUsernames.granted(dto.username);
    return { id: dto.userId, username: dto.username };
  }

  /**
   * passport-local's check. The attempt is counted before the key is compared (a success gives it
   * back); the failure that uses up the last attempt answers 429.
   */
  async verifyCredentials(username: string, authKey: string, client: SignInClient): Promise<User> {
    const attempt = await this.lockout.reserve(this.attemptSubject(client, username));
    const user = await this.users.findByUsername(username);
    const valid = await compare(authKey, user?.authHash ?? (await this.noSuchUserHash));
    if (user && valid) {
      await attempt.succeeded();
      // Only after the password: whether an account is disabled is not told to someone guessing.
      if (user.disabledAt) throw new ForbiddenException(ACCOUNT_DISABLED_MESSAGE);
      return user;
    }
    return this.failed(attempt, username, client.ip, 'auth.login_failed', 'Wrong username or password');
  }

  /** The sealed key backup, for the current credential only (counted like a login). */
  async keyBackup(userId: string, authKey: string, client: SignInClient): Promise<KeyBackup> {
    const user = await this.signedInWith(userId, authKey, client, 'auth.key_backup_failed');
    return user.keyBackup;
  }

  /** Proves the current credential (counted like a login), then swaps credential and backup. */
  async changePassword(userId: string, currentAuthKey: string, newAuthKey: string, sealed: { keyBackup: KeyBackup; contactBook?: SealedContactBook }, sessionId: string, client: SignInClient): Promise<void> {
    await this.signedInWith(userId, currentAuthKey, client, 'auth.password_change_failed');
    await this.users.changeCredential(userId, await hash(newAuthKey, this.config.auth.bcryptCost), sealed, sessionId);
    await this.audit.record({ event: 'auth.password_changed', actorId: userId, ip: client.ip });
  }

  /** The signed-in user if authKey is their current credential; counted and locked out as at login. */
  private async signedInWith(userId: string, authKey: string, client: SignInClient, failureEvent: string): Promise<User> {
    const user = await this.users.findById(userId);
    if (!user) throw new UnauthorizedException('Sign in first');
    const attempt = await this.lockout.reserve(this.attemptSubject(client, user.username));
    if (!(await compare(authKey, user.authHash))) return this.failed(attempt, user.username, client.ip, failureEvent, 'The current password is wrong');
    await attempt.succeeded();
    return user;
  }

  /** A valid device token for this username: its own counter; otherwise the username's and the address's. */
  private attemptSubject(client: SignInClient, username: string): AttemptSubject {
    const deviceNonce = this.devices.nonceFor(client.deviceToken, username);
    return deviceNonce ? { deviceNonce } : { username, address: client.ip };
  }

  me(user: User): MeResponse {
    return { id: user.id, username: user.username, publicKeys: { enc: user.encPublicKey, sig: user.sigPublicKey }, admin: user.isAdmin };
  }

  loginResponse(user: User): LoginResponse {
    return { ...this.me(user), keyBackup: user.keyBackup };
  }

  private async failed(attempt: ReservedAttempt, username: string, ip: string, event: string, message: string): Promise<never> {
    this.metrics.signInFailed(attempt.attemptsLeft === 0);
    await this.audit.record({ event, ip, details: { username, device: attempt.trusted } });
    if (attempt.attemptsLeft > 0) throw new SignInFailedException(message, attempt.attemptsLeft);
    await this.audit.record({ event: 'auth.lockout', ip, details: { username, device: attempt.trusted, seconds: attempt.lockoutSeconds } });
    throw new TooManyAttemptsException(attempt.lockoutSeconds);
  }
}

import { randomUUID } from 'node:crypto';
import { ConflictException, BadRequestException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { KeyBackup, LoginResponse, MeResponse, RegisterResponse, SealedContactBook } from '@conclave/contracts';
import { importPublicKeys } from '@conclave/crypto';
import { compare, hash } from 'bcryptjs';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { AuditService } from '../security/audit/audit.service.js';
import { CaptchaService } from './captcha/captcha.service.js';
import type { RegisterDto } from './dto.js';
import { LoginLockoutService } from './lockout/login-lockout.service.js';
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
    private readonly audit: AuditService,
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
    });
    if (outcome === 'username-taken') throw new ConflictException(`The username "${dto.username}" is taken`);
    if (outcome === 'id-taken') throw new ConflictException('This user id is taken: generate a new identity and retry');
    await this.audit.record({ event: 'auth.registered', actorId: dto.userId, ip, details: { username: dto.username } });
    return { id: dto.userId, username: dto.username };
  }

  /** passport-local's check. Failures count toward the lockout; the failure that trips it answers 429. */
  async verifyCredentials(username: string, authKey: string, ip: string): Promise<User> {
    const user = await this.users.findByUsername(username);
    const valid = await compare(authKey, user?.authHash ?? (await this.noSuchUserHash));
    if (user && valid) {
      await this.lockout.recordSuccess(username);
      return user;
    }
    await this.failed(username, ip, 'auth.login_failed');
    throw new UnauthorizedException('Wrong username or password');
  }

  /** The sealed key backup, for the current credential only (counted like a login). */
  async keyBackup(userId: string, authKey: string, ip: string): Promise<KeyBackup> {
    const user = await this.signedInWith(userId, authKey, ip, 'auth.key_backup_failed');
    return user.keyBackup;
  }

  /** Proves the current credential (counted like a login), then swaps credential and backup. */
  async changePassword(userId: string, currentAuthKey: string, newAuthKey: string, sealed: { keyBackup: KeyBackup; contactBook?: SealedContactBook }, sessionId: string, ip: string): Promise<void> {
    await this.signedInWith(userId, currentAuthKey, ip, 'auth.password_change_failed');
    await this.users.changeCredential(userId, await hash(newAuthKey, this.config.auth.bcryptCost), sealed, sessionId);
    await this.audit.record({ event: 'auth.password_changed', actorId: userId, ip });
  }

  /** The signed-in user if authKey is their current credential; lockout and failures as at login. */
  private async signedInWith(userId: string, authKey: string, ip: string, failureEvent: string): Promise<User> {
    const user = await this.users.findById(userId);
    if (!user) throw new UnauthorizedException('Sign in first');
    const blocked = await this.lockout.blockedFor(ip, user.username);
    if (blocked > 0) throw new TooManyAttemptsException(blocked);
    if (!(await compare(authKey, user.authHash))) {
      await this.failed(user.username, ip, failureEvent);
      throw new UnauthorizedException('The current password is wrong');
    }
    return user;
  }

  me(user: User): MeResponse {
    return { id: user.id, username: user.username, publicKeys: { enc: user.encPublicKey, sig: user.sigPublicKey } };
  }

  loginResponse(user: User): LoginResponse {
    return { ...this.me(user), keyBackup: user.keyBackup };
  }

  private async failed(username: string, ip: string, event: string): Promise<void> {
    const blocked = await this.lockout.recordFailure(ip, username);
    await this.audit.record({ event, ip, details: { username } });
    if (blocked > 0) {
      await this.audit.record({ event: 'auth.lockout', ip, details: { username, seconds: blocked } });
      throw new TooManyAttemptsException(blocked);
    }
  }
}

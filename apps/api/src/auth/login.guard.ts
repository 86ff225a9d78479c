import { BadRequestException, type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Request } from 'express';
import { LoginDto } from './dto.js';
import { LoginLockoutService } from './lockout/login-lockout.service.js';
import { TooManyAttemptsException } from './lockout/too-many-attempts.js';

/**
 * Runs before passport-local (guards run before pipes): a malformed body is a 400, and a locked-out
 * IP or username is refused with 429 before any bcrypt work is done.
 */
@Injectable()
export class LoginAttemptGuard implements CanActivate {
  constructor(private readonly lockout: LoginLockoutService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const body = plainToInstance(LoginDto, req.body ?? {});
    const errors = await validate(body, { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length) throw new BadRequestException(errors.flatMap((e) => Object.values(e.constraints ?? {})));
    req.body = body;
    const seconds = await this.lockout.blockedFor(req.ip ?? 'unknown', body.username);
    if (seconds > 0) throw new TooManyAttemptsException(seconds);
    return true;
  }
}

/** passport-local, without passport's own session handling (AuthController sets up the session). */
@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {}

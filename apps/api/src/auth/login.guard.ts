import { BadRequestException, type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Request } from 'express';
import { LoginDto } from './dto.js';

/**
 * Runs before passport-local (guards run before pipes): a malformed body is a 400 and never reaches
 * the lockout. The lockout itself is AuthService's: it reserves the attempt, atomically, before any
 * bcrypt work, so there is no check here that a burst of parallel requests could all pass at once.
 */
@Injectable()
export class LoginAttemptGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const body = plainToInstance(LoginDto, req.body ?? {});
    const errors = await validate(body, { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length) throw new BadRequestException(errors.flatMap((e) => Object.values(e.constraints ?? {})));
    req.body = body;
    return true;
  }
}

/** passport-local, without passport's own session handling (AuthController sets up the session). */
@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {}

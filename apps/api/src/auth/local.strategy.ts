import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-local';
import { AuthService } from './auth.service.js';
import { signInClientOf } from './device/sign-in-client.js';
import type { User } from './users/user.entity.js';

/** passport-local on (username, authKey): the password itself never reaches the server. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy) {
  constructor(private readonly auth: AuthService) {
    super({ usernameField: 'username', passwordField: 'authKey', passReqToCallback: true, session: false });
  }

  validate(req: Request, username: string, authKey: string): Promise<User> {
    return this.auth.verifyCredentials(username, authKey, signInClientOf(req));
  }
}

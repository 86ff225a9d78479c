import 'reflect-metadata';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { API_TOKEN_SCOPES, type ApiTokenScope } from '@conclave/contracts';
import type { NextFunction, Request, Response } from 'express';
import request from 'supertest';
import { AdminAccess, AdminPolicy } from './admin.policy.js';
import { AcceptsApiTokens } from './decorators.js';
import type { Principal } from './principal.js';

@Controller('plain')
class PlainController {
  @Get()
  plain() {
    return { ok: true };
  }
}

@Controller('users')
@AdminAccess('users:read')
class UsersProbeController {
  @Get()
  list() {
    return { ok: true };
  }

  /** The handler's access replaces the controller's. */
  @Get('admin')
  @AdminAccess('admin-session')
  grant() {
    return { ok: true };
  }
}

@Controller('rooms')
class RoomsProbeController {
  @Get()
  @AdminAccess('rooms:read')
  list() {
    return { ok: true };
  }
}

/** A token-accepting route someone forgot to give an @AdminAccess: refused to everyone (fail closed). */
@Controller('forgotten')
@AcceptsApiTokens()
class ForgottenAccessController {
  @Get()
  list() {
    return { ok: true };
  }
}

@Module({ controllers: [PlainController, UsersProbeController, RoomsProbeController, ForgottenAccessController], providers: [{ provide: APP_GUARD, useClass: AdminPolicy }] })
class ProbeModule {}

/** Stands in for AuthenticationGuard: `x-principal` is the resolved principal, as JSON. */
function fakePrincipal(req: Request, _res: Response, next: NextFunction): void {
  const header = req.headers['x-principal'];
  if (typeof header === 'string') req.principal = JSON.parse(header) as Principal;
  next();
}

const adminSession: Principal = { kind: 'session', userId: 'root', username: 'root', admin: true };
const userSession: Principal = { kind: 'session', userId: 'ann', username: 'ann', admin: false };
const token = (...scopes: ApiTokenScope[]): Principal => ({ kind: 'token', tokenId: 't', scopes, createdBy: 'root' });

const NOT_ADMIN = 'Only site admins may use the admin API';
const SESSION_ONLY = 'This needs an admin signed in with a session: API tokens cannot manage tokens or admins';

describe('AdminPolicy: what a principal may do on the admin API', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await NestFactory.create(ProbeModule, { logger: false });
    app.use(fakePrincipal);
    await app.init();
  });
  afterAll(() => app?.close());

  const call = (path: string, principal: Principal | undefined) => {
    const req = request(app.getHttpServer()).get(path);
    return principal ? req.set('x-principal', JSON.stringify(principal)) : req;
  };

  it.each([
    ['a route without @AdminAccess, a user', 200, '/plain', userSession, undefined],
    ['a route without @AdminAccess, nobody', 200, '/plain', undefined, undefined],
    ['a token-accepting route without @AdminAccess, an admin session', 403, '/forgotten', adminSession, 'This route names no admin access: refused'],
    ['a token-accepting route without @AdminAccess, a token with every scope', 403, '/forgotten', token(...API_TOKEN_SCOPES), 'This route names no admin access: refused'],
    ['a scope route, an admin session', 200, '/rooms', adminSession, undefined],
    ['a scope route, a user who is not an admin', 403, '/rooms', userSession, NOT_ADMIN],
    ['a scope route, nobody', 403, '/rooms', undefined, NOT_ADMIN],
    ['a scope route, a token with the scope', 200, '/rooms', token('rooms:read'), undefined],
    ['a scope route, a token with the scope among others', 200, '/rooms', token('users:read', 'rooms:read'), undefined],
    ['a scope route, a token without the scope', 403, '/rooms', token('rooms:write', 'users:read'), 'This API token lacks the "rooms:read" scope'],
    ['a scope route, a token without any scope', 403, '/rooms', token(), 'This API token lacks the "rooms:read" scope'],
    ["a controller's scope, a token with it", 200, '/users', token('users:read'), undefined],
    ["a controller's scope, a token without it", 403, '/users', token('rooms:read'), 'This API token lacks the "users:read" scope'],
    ['an admin-session route, an admin session', 200, '/users/admin', adminSession, undefined],
    ['an admin-session route, a token with every scope', 403, '/users/admin', token(...API_TOKEN_SCOPES), SESSION_ONLY],
    ['an admin-session route, a user who is not an admin', 403, '/users/admin', userSession, NOT_ADMIN],
  ] as const)('%s → %i', async (_case, status, path, principal, message) => {
    const res = await call(path, principal as Principal | undefined);
    expect(res.status).toBe(status);
    if (message) expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden', message });
  });
});

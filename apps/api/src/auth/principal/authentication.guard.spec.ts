import 'reflect-metadata';
import { Controller, createParamDecorator, type ExecutionContext, Get, type INestApplication, Module, UnauthorizedException } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ACCOUNT_DISABLED_MESSAGE } from '@conclave/contracts';
import type { NextFunction, Request, Response } from 'express';
import request from 'supertest';
import { APP_CONFIG } from '../../config/app-config.js';
import { SessionLifetime } from '../session/session-lifetime.js';
import { ApiTokensService } from '../tokens/api-tokens.service.js';
import { UsersService } from '../users/users.service.js';
import { AdminAccess, AdminPolicy } from './admin.policy.js';
import { AuthenticationGuard } from './authentication.guard.js';
import { AcceptsApiTokens, CurrentPrincipal, Public } from './decorators.js';
import type { Principal, TokenPrincipal } from './principal.js';

const SESSION_MAX_SECONDS = 60;
const ROOMS_TOKEN: TokenPrincipal = { kind: 'token', tokenId: 'token-1', scopes: ['rooms:read'], createdBy: 'root' };

/** The accounts UsersService knows: an admin, a user, a disabled user (a missing id is a deleted account). */
const ACCOUNTS = new Map([
  ['root', { id: 'root', username: 'root', isAdmin: true, disabledAt: null }],
  ['ann', { id: 'ann', username: 'ann', isAdmin: false, disabledAt: null }],
  ['gone', { id: 'gone', username: 'gone', isAdmin: false, disabledAt: new Date() }],
]);

/** ApiTokensService's answer: one token is valid, every other header is refused (its own suite checks the database side). */
const tokens = {
  calls: 0,
  async authenticate(authorization: string): Promise<TokenPrincipal> {
    this.calls++;
    if (authorization === 'Bearer cnk_rooms') return ROOMS_TOKEN;
    throw new UnauthorizedException('This API token is not valid');
  },
};

/** A public route's caller, when there is one. */
const CurrentPrincipalOrNull = createParamDecorator((_data: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<Request>().principal ?? null);

@Controller()
class ProbeController {
  @Get('open')
  @Public()
  open(@CurrentPrincipalOrNull() principal: Principal | null) {
    return { principal };
  }

  @Get('user')
  user(@CurrentPrincipal() principal: Principal) {
    return { principal };
  }

  @Get('admin/rooms')
  @AcceptsApiTokens()
  @AdminAccess('rooms:read')
  adminRooms(@CurrentPrincipal() principal: Principal) {
    return { principal };
  }

  @Get('admin/tokens')
  @AcceptsApiTokens()
  @AdminAccess('admin-session')
  adminTokens(@CurrentPrincipal() principal: Principal) {
    return { principal };
  }
}

@Module({
  controllers: [ProbeController],
  providers: [
    SessionLifetime,
    { provide: APP_CONFIG, useValue: { auth: { sessionMaxSeconds: SESSION_MAX_SECONDS } } },
    { provide: UsersService, useValue: { findById: async (id: string) => ACCOUNTS.get(id) ?? null } },
    { provide: ApiTokensService, useValue: tokens },
    // As AuthModule registers them: authentication first, then the admin policy.
    { provide: APP_GUARD, useClass: AuthenticationGuard },
    { provide: APP_GUARD, useClass: AdminPolicy },
  ],
})
class ProbeModule {}

/** Stands in for express-session: `x-session: USER[@AGE_SECONDS]` is a session of USER signed in AGE seconds ago. */
const destroyed: string[] = [];
function fakeSession(req: Request, _res: Response, next: NextFunction): void {
  const header = req.headers['x-session'];
  if (typeof header === 'string') {
    const [userId, age = '0'] = header.split('@');
    const session = {
      userId,
      signedInAt: Date.now() - Number(age) * 1000,
      destroy(done: () => void) {
        destroyed.push(userId!);
        delete (req as Partial<Request>).session;
        done();
      },
    };
    (req as unknown as { session: unknown }).session = session;
  }
  next();
}

describe('AuthenticationGuard and AdminPolicy: who may call what', () => {
  let app: INestApplication;
  const get = (path: string, headers: Record<string, string> = {}) => request(app.getHttpServer()).get(path).set(headers);

  beforeAll(async () => {
    app = await NestFactory.create(ProbeModule, { logger: false });
    app.use(fakeSession);
    await app.init();
  });
  afterAll(() => app?.close());
  beforeEach(() => {
    destroyed.length = 0;
    tokens.calls = 0;
  });

  const session = (userId: string, ageSeconds = 0) => ({ 'x-session': `${userId}@${ageSeconds}` });
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const ann = { kind: 'session', userId: 'ann', username: 'ann', admin: false };
  const root = { kind: 'session', userId: 'root', username: 'root', admin: true };

  it.each([
    ['a public route, anonymous', 200, '/open', {}, { principal: null }],
    ['a public route, with a session', 200, '/open', session('ann'), { principal: ann }],
    ['a public route, with a bearer token (not looked at)', 200, '/open', bearer('cnk_rooms'), { principal: null }],
    ['a user route, anonymous', 401, '/user', {}, { message: 'Sign in first' }],
    ['a user route, with a session', 200, '/user', session('ann'), { principal: ann }],
    ['a user route, with an admin session', 200, '/user', session('root'), { principal: root }],
    ['a user route, with a session past its absolute limit', 401, '/user', session('ann', SESSION_MAX_SECONDS + 1), { message: 'Your session has expired: sign in again' }],
    ['a user route, with a session of a deleted account', 401, '/user', session('nobody'), { message: 'Your session has expired: sign in again' }],
    ['a user route, with a session of a disabled account', 401, '/user', session('gone'), { message: ACCOUNT_DISABLED_MESSAGE }],
    ['a user route, with a valid token', 401, '/user', bearer('cnk_rooms'), { message: expect.stringContaining('API tokens are accepted only on the admin API') }],
    ['a user route, with a proxy\'s Basic credentials and a session (not a token: ignored)', 200, '/user', { Authorization: 'Basic dXNlcjpwYXNz', ...session('ann') }, { principal: ann }],
    ['an admin-session route, with a proxy\'s Basic credentials and an admin session', 200, '/admin/tokens', { Authorization: 'Basic dXNlcjpwYXNz', ...session('root') }, { principal: root }],
    ['a user route, with a valid token and a session', 401, '/user', { ...bearer('cnk_rooms'), ...session('ann') }, { message: expect.stringContaining('API tokens are accepted only on the admin API') }],
    ['a token-accepting route, with a valid token that has the scope', 200, '/admin/rooms', bearer('cnk_rooms'), { principal: ROOMS_TOKEN }],
    ['a token-accepting route, with a token the service refuses', 401, '/admin/rooms', bearer('cnk_other'), { message: 'This API token is not valid' }],
    ['a token-accepting route, with an admin session', 200, '/admin/rooms', session('root'), { principal: root }],
    ['a token-accepting route, with a session of a user who is not an admin', 403, '/admin/rooms', session('ann'), { message: 'Only site admins may use the admin API' }],
    ['a token-accepting route, anonymous', 401, '/admin/rooms', {}, { message: 'Sign in first' }],
    ['an admin-session route, with an admin session', 200, '/admin/tokens', session('root'), { principal: root }],
    ['an admin-session route, with a valid token', 403, '/admin/tokens', bearer('cnk_rooms'), { message: expect.stringContaining('API tokens cannot manage tokens or admins') }],
  ])('%s → %i', async (_case, status, path, headers, body) => {
    const res = await get(path, headers as Record<string, string>);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject(body);
  });

  it('never asks the token service about a bearer token on a route that does not accept tokens', async () => {
    await get('/user', bearer('cnk_rooms')).expect(401);
    await get('/open', bearer('cnk_rooms')).expect(200);
    expect(tokens.calls).toBe(0);
    await get('/admin/rooms', bearer('cnk_rooms')).expect(200);
    expect(tokens.calls).toBe(1);
  });

  it('ends the session of a disabled account, of a deleted one and one past its limit, and no other', async () => {
    await get('/user', session('gone')).expect(401);
    await get('/user', session('nobody')).expect(401);
    await get('/user', session('ann', SESSION_MAX_SECONDS + 1)).expect(401);
    await get('/user', session('ann')).expect(200);
    // On a public route too: a disabled account's session is ended, and the route answers anonymously.
    expect((await get('/open', session('gone')).expect(200)).body).toEqual({ principal: null });
    expect(destroyed).toEqual(['gone', 'nobody', 'ann', 'gone']);
  });
});

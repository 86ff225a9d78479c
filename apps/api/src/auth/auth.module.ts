import { Inject, type MiddlewareConsumer, Module, type NestModule, type OnApplicationShutdown } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { METRICS_PATH } from '@conclave/contracts';
import type { Pool } from 'pg';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DATABASE_POOL } from '../database/database.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { SecurityModule } from '../security/security.module.js';
import { ServerSecretsService } from '../security/secrets/server-secrets.service.js';
import { AdminUsernames } from './admins/admin-usernames.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { CaptchaService } from './captcha/captcha.service.js';
import { ContactBookController } from './contacts/contact-book.controller.js';
import { ContactBookService } from './contacts/contact-book.service.js';
import { DEVICE_TOKEN_SECRET, loadDeviceTokenSecret } from './device/device-token-secret.js';
import { DeviceTokenService } from './device/device-token.service.js';
import { LocalStrategy } from './local.strategy.js';
import { LoginLockoutService } from './lockout/login-lockout.service.js';
import { LoginAttemptGuard } from './login.guard.js';
import { AdminPolicy } from './principal/admin.policy.js';
import { AuthenticationGuard } from './principal/authentication.guard.js';
import { createSessionHandler, SESSION_HANDLER, type SessionHandler } from './session/session.js';
import { SessionPruner } from './session/session-pruner.js';
import { SessionLifetime } from './session/session-lifetime.js';
import { SessionStoreService } from './session/session-store.service.js';
import { ApiTokensService } from './tokens/api-tokens.service.js';
import { UsersController } from './users.controller.js';
import { User } from './users/user.entity.js';
import { UsersService } from './users/users.service.js';

/** Accounts: registration with captcha, login, server-side sessions, lockout, the key directory, sealed contact books. */
@Module({
  imports: [
    TypeOrmModule.forFeature([User]),
    PassportModule,
    SecurityModule,
    MetricsModule,
  ],
  controllers: [AuthController, UsersController, ContactBookController],
  providers: [
    AuthService,
    UsersService,
    CaptchaService,
    ContactBookService,
    LoginLockoutService,
    DeviceTokenService,
    { provide: DEVICE_TOKEN_SECRET, inject: [APP_CONFIG], useFactory: loadDeviceTokenSecret },
    LocalStrategy,
    LoginAttemptGuard,
    SessionLifetime,
    SessionStoreService,
    SessionPruner,
    ApiTokensService,
    AdminUsernames,
    // Authentication first, then the admin policy (global guards run in this order).
    { provide: APP_GUARD, useClass: AuthenticationGuard },
    { provide: APP_GUARD, useClass: AdminPolicy },
    {
      provide: SESSION_HANDLER,
      inject: [APP_CONFIG, DATABASE_POOL, ServerSecretsService],
      useFactory: async (config: AppConfig, pool: Pool, secrets: ServerSecretsService) =>
        createSessionHandler(config, pool, await secrets.sessionCookie()),
    },
  ],
  exports: [UsersService, SessionLifetime, SessionStoreService, SESSION_HANDLER, ApiTokensService],
})
export class AuthModule implements NestModule, OnApplicationShutdown {
  constructor(@Inject(SESSION_HANDLER) private readonly sessions: SessionHandler) {}

  configure(consumer: MiddlewareConsumer): void {
    // And /metrics, where a site admin's session may scrape.
    consumer.apply(this.sessions.middleware).forRoutes('api/{*path}', METRICS_PATH);
  }

  onApplicationShutdown(): Promise<void> {
    return this.sessions.close();
  }
}

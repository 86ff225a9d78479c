import { type CanActivate, Controller, type Type, UseGuards, applyDecorators } from '@nestjs/common';
import { ADMIN_API_PREFIX } from '@conclave/contracts';
import { AcceptsApiTokens } from '../../auth/principal/decorators.js';
import { RateLimitGuard } from '../../security/throttling/rate-limit.guard.js';
import { RateLimit } from '../../security/throttling/rate-limits.js';
import { AdminApiDocs } from './admin-docs.js';

/**
 * An admin API controller (README "Administration"): under ADMIN_API_PREFIX, open to API tokens as
 * well as sessions (each route's AdminRoute says who may call it), counted by the per-caller admin
 * rate limit before its own `guards` run (a refused caller costs no lookup), documented under `tag`.
 */
export const AdminController = (tag: readonly [name: string, description: string], ...guards: Array<Type<CanActivate>>) =>
  applyDecorators(AdminApiDocs(tag), AcceptsApiTokens(), UseGuards(RateLimitGuard, ...guards), RateLimit('admin'), Controller(ADMIN_API_PREFIX));

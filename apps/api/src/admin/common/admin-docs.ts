import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { ApiTokenScope } from '@conclave/contracts';
import { AdminAccess } from '../../auth/principal/admin.policy.js';
import { ErrorBodyDto } from '../../docs/error-body.dto.js';

const RATE_HEADERS = {
  'Retry-After': { description: 'Seconds until the caller may try again', schema: { type: 'integer' as const } },
  'X-RateLimit-Limit': { description: 'Admin calls allowed per minute (ADMIN_RATE_LIMIT_PER_MINUTE), per token or per admin', schema: { type: 'integer' as const } },
  'X-RateLimit-Remaining': { description: 'Calls left in the current minute', schema: { type: 'integer' as const } },
  'X-RateLimit-Reset': { description: 'Seconds until the count starts again', schema: { type: 'integer' as const } },
};

/**
 * What every admin controller documents: the API-token bearer scheme (an admin's session cookie
 * works as well) and the answers any admin route can give: 401 and 429.
 */
export const AdminApiDocs = () =>
  applyDecorators(
    ApiBearerAuth('api-token'),
    ApiUnauthorizedResponse({
      type: ErrorBodyDto,
      description: 'Neither a session nor an API token; or a token that is malformed, unknown, revoked, expired, or whose creator is no longer an enabled admin',
    }),
    ApiTooManyRequestsResponse({ type: ErrorBodyDto, description: 'Over the admin rate limit of this token (or this admin)', headers: RATE_HEADERS }),
  );

/**
 * One admin route: who may call it (AdminPolicy: an admin's session, or a token with `access`; or
 * an admin's session only), its summary, and its 403.
 */
export function AdminRoute(access: ApiTokenScope | 'admin-session', summary: string, description?: string) {
  const who =
    access === 'admin-session'
      ? "A site admin's session only: API tokens are refused (403), so a token can never widen its own reach."
      : `A site admin's session, or an API token with the ${access} scope.`;
  return applyDecorators(
    AdminAccess(access),
    ApiOperation({ summary, description: [description, who].filter(Boolean).join('\n\n') }),
    ApiForbiddenResponse({
      type: ErrorBodyDto,
      description: access === 'admin-session' ? 'Not a site admin, or an API token' : `Not a site admin, or an API token without the ${access} scope`,
    }),
  );
}

export const BadInput = (description: string) => ApiBadRequestResponse({ type: ErrorBodyDto, description });
export const NotFound = (description: string) => ApiNotFoundResponse({ type: ErrorBodyDto, description });
export const Conflict = (description: string) => ApiConflictResponse({ type: ErrorBodyDto, description });

import { applyDecorators } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiForbiddenResponse, ApiNotFoundResponse, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorBodyDto } from '../docs/error-body.dto.js';

/** Why an admin route may refuse, beyond what every admin route may (401, 403, 429). */
export interface AdminRefusals {
  400?: string;
  404?: string;
  409?: string;
}

/** The error answers of an admin route, each with the shared {statusCode, error, message} schema. */
export function AdminErrors(refusals: AdminRefusals = {}): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...(refusals[400] ? [ApiBadRequestResponse({ type: ErrorBodyDto, description: refusals[400] })] : []),
    ApiUnauthorizedResponse({ type: ErrorBodyDto, description: 'No session and no API token, or a token that is malformed, unknown, revoked or expired (or whose creator is no longer an admin)' }),
    ApiForbiddenResponse({ type: ErrorBodyDto, description: 'Signed in but not a site admin, or an API token without the scope this route needs' }),
    ...(refusals[404] ? [ApiNotFoundResponse({ type: ErrorBodyDto, description: refusals[404] })] : []),
    ...(refusals[409] ? [ApiConflictResponse({ type: ErrorBodyDto, description: refusals[409] })] : []),
    ApiTooManyRequestsResponse({
      type: ErrorBodyDto,
      description: 'More than ADMIN_RATE_LIMIT_PER_MINUTE calls in a minute by this token (or admin): Retry-After says when to try again; X-RateLimit-Limit / -Remaining / -Reset come with every answer',
    }),
  );
}

import { applyDecorators } from '@nestjs/common';
import { ApiBadRequestResponse, ApiCookieAuth, ApiExtraModels, ApiParam, ApiTooManyRequestsResponse, ApiUnauthorizedResponse, getSchemaPath } from '@nestjs/swagger';
import { PAYLOAD_MAX_DEPTH } from '@conclave/contracts';
import { ErrorBodyDto, RetryLaterBodyDto, SignInFailedBodyDto } from './error-body.dto.js';
import { SESSION_SCHEME } from './security-schemes.js';

const NOT_SIGNED_IN = 'Not signed in, or the session ended; or an API token, which only the admin API and /metrics take';

/** Swagger for a route (or a controller's routes) that needs a signed-in session. */
export const ApiSession = () => applyDecorators(ApiCookieAuth(SESSION_SCHEME), ApiUnauthorizedResponse({ description: NOT_SIGNED_IN }));

/**
 * Swagger for a session route that also checks the current password (key backup, password change):
 * its 401 is either the missing session or the wrong credential, which says how many tries are left.
 */
export const ApiSessionWithCredential = () =>
  applyDecorators(
    ApiCookieAuth(SESSION_SCHEME),
    ApiExtraModels(SignInFailedBodyDto),
    ApiUnauthorizedResponse({
      description: `The current password (authKey) is wrong: attemptsLeft says how many failures are left before a lockout. Or: ${NOT_SIGNED_IN}`,
      schema: { oneOf: [{ $ref: getSchemaPath(SignInFailedBodyDto) }, { $ref: getSchemaPath(ErrorBodyDto) }] },
    }),
  );

/** A path parameter that is a UUID (400 otherwise). */
export const ApiUuidParam = (name: string, description: string) => ApiParam({ name, description, schema: { type: 'string', format: 'uuid' } });

/** A 429 whose body says how long to wait (retryAfterSeconds, also the Retry-After header). */
export const ApiRetryLaterResponse = (description: string) => ApiTooManyRequestsResponse({ description, type: RetryLaterBodyDto });

/** The one 4xx of routes that read nothing: every route refuses a body that does not parse, even one that ignores it. */
export const ApiMalformedBodyResponse = () =>
  ApiBadRequestResponse({ description: `A request body that is not valid JSON, or nested deeper than ${PAYLOAD_MAX_DEPTH} levels (checked on every route)` });

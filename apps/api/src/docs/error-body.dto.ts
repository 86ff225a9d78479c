import { ApiProperty } from '@nestjs/swagger';
import type { ErrorBody, ErrorResponse } from '@conclave/contracts';

/**
 * The body of every 4xx and 5xx answer (Nest's shape): the OpenAPI document's shared error schema.
 * An error response documented without a schema of its own gets this one (swagger.ts).
 */
export class ErrorBodyDto implements ErrorBody {
  @ApiProperty({ type: 'integer', description: 'The HTTP status, repeated', example: 404 })
  statusCode!: number;

  @ApiProperty({ description: "The status's reason phrase", example: 'Not Found' })
  error!: string;

  @ApiProperty({
    description: 'What went wrong, for a person to read; a list for a request body that failed validation (one entry per problem)',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: 'No room with this code among yours',
  })
  message!: string | string[];
}

/** 401 of a failed credential check (sign-in, key backup, password change): says how many tries are left. */
export class SignInFailedBodyDto extends ErrorBodyDto implements Required<Pick<ErrorResponse, 'attemptsLeft'>> {
  @ApiProperty({
    description: 'Failed attempts still allowed before the next failure locks this client out (at least 1: the failure that locks answers 429 instead)',
    type: 'integer',
    minimum: 1,
    example: 4,
  })
  attemptsLeft!: number;
}

/** 429 of a lockout or a probe budget: how long to wait, also sent as the Retry-After header. */
export class RetryLaterBodyDto extends ErrorBodyDto implements Required<Pick<ErrorResponse, 'retryAfterSeconds'>> {
  @ApiProperty({ type: 'integer', description: 'Seconds until a new attempt is accepted (the Retry-After header says the same)', minimum: 1, example: 60 })
  retryAfterSeconds!: number;
}

import { HttpStatus, UnauthorizedException } from '@nestjs/common';
import type { ErrorResponse } from '@conclave/contracts';

/** 401 for a wrong credential, telling the client how many more failures it has before a lockout. */
export class SignInFailedException extends UnauthorizedException {
  constructor(message: string, attemptsLeft: number) {
    super({ statusCode: HttpStatus.UNAUTHORIZED, error: 'Unauthorized', message, attemptsLeft } satisfies ErrorResponse);
  }
}

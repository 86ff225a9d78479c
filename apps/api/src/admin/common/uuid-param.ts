import { BadRequestException, Param, ParseUUIDPipe } from '@nestjs/common';

/**
 * A route parameter that must be a UUID (a user, token or job id), lowercased as PostgreSQL prints
 * ids (the audit row's target is then the same whatever case the caller used): 400 otherwise.
 */
export const UuidParam = (name: string, message = `${name} must be a UUID`) =>
  Param(name, new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException(message) }), { transform: (id: string) => id.toLowerCase() });

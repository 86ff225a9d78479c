import { BadRequestException, Param, ParseUUIDPipe } from '@nestjs/common';

/** A route parameter that must be a UUID (a user, token or job id): 400 naming it otherwise. */
export const UuidParam = (name: string) => Param(name, new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException(`${name} must be a UUID`) }));

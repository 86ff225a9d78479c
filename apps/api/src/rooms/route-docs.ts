import { ApiParam } from '@nestjs/swagger';
import { ROOM_CODE_ALPHABET } from '@conclave/contracts';
import { ROOM_PROBES_PER_USER_PER_MINUTE } from './room-probes.js';

/** Swagger texts the room routes share. */
export const NOT_IN_ROOM_DOC = 'No room with this code among yours: the same answer whether or not a room has this code';
export const TOO_MANY_PROBES =
  `More than ${ROOM_PROBES_PER_USER_PER_MINUTE} look-ups a minute of codes the caller is not in (or ROOM_PROBES_PER_ADDRESS_PER_MINUTE ` +
  'from the address), with Retry-After; a member is never counted for their own rooms';
export const BAD_CODE_DOC = `A malformed room code (4 characters of ${ROOM_CODE_ALPHABET}, in any case)`;

/** The {code} of a room route. */
export const ApiRoomCodeParam = () =>
  ApiParam({ name: 'code', description: `The room code: 4 characters of ${ROOM_CODE_ALPHABET} (lower case is read as upper case)`, example: 'K7QX', schema: { type: 'string', minLength: 4, maxLength: 4 } });

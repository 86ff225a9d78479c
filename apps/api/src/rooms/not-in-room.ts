import { NotFoundException } from '@nestjs/common';

/** The answer for a room id the caller is not a member of, whether or not a room has it. */
export const NOT_IN_ROOM = 'No such room among your rooms';

/**
 * The one answer for a room the caller is not a member of, whether a room has this code or not:
 * nothing in it (status, message) tells "not yours" from "does not exist".
 */
export class NotInRoomException extends NotFoundException {
  constructor(code?: string) {
    super(code === undefined ? NOT_IN_ROOM : `No room with code ${code} among your rooms`);
  }
}

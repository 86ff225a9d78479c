import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ROOM_NAME_MAX_CHARS, type SetJoinsBlockedRequest, type TransferOwnershipRequest } from '@conclave/contracts';
import { Transform } from 'class-transformer';
import { IsBoolean, IsDefined, IsOptional, IsString, isUUID, IsUUID, MaxLength, MinLength } from 'class-validator';
import { IsCursorOf, PageQueryDto } from '../common/admin-query.js';
import { isRecordOf, KeysetCursor } from '../common/keyset-cursor.js';

/** A last activity as PostgreSQL's to_char prints it for the rooms list: to the microsecond, in UTC. */
const MICROSECOND_TIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{6}Z$/;

function isActivityKey(value: string): boolean {
  if (!MICROSECOND_TIME.test(value)) return false;
  const ms = Date.parse(`${value.slice(0, 23)}Z`);
  // 31 February rolls over to March in JavaScript, and PostgreSQL would refuse it: not a time this list wrote.
  return ms >= 0 && new Date(ms).toISOString().slice(0, 19) === value.slice(0, 19);
}

/**
 * GET rooms pages by last activity then id, newest first: the cursor is the last room's activity to
 * the microsecond (a JavaScript Date would drop the microseconds and skip or repeat rooms) and its id.
 */
export const ROOMS_CURSOR = new KeysetCursor(
  'rooms',
  isRecordOf({ a: isActivityKey, i: (id) => isUUID(id, 'loose') }),
  'cursor is not one this list gave out: pass nextCursor back unchanged',
);

/** GET rooms: ?limit=&cursor=&q= */
export class ListRoomsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: "The previous page's nextCursor, unchanged", example: 'eyJhIjoiMjAyNi0xMi0wM1QxNjoyMjowNS4xMjM0NTZaIiwiaSI6IjNmMmM4ZTFhLTJiNGQtNGM2ZS05YTdiLTFkMmUzZjRhNWI2YyJ9' })
  @IsOptional()
  @IsCursorOf(ROOMS_CURSOR)
  cursor?: string;

  @ApiPropertyOptional({ maxLength: ROOM_NAME_MAX_CHARS, example: 'design', description: "A room's exact code, or a part of its name (case-insensitive)" })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString({ message: 'q must be one piece of text' })
  @MinLength(1, { message: 'q must not be empty' })
  @MaxLength(ROOM_NAME_MAX_CHARS, { message: `q must be at most ${ROOM_NAME_MAX_CHARS} characters` })
  q?: string;
}

export class SetJoinsBlockedDto implements SetJoinsBlockedRequest {
  @ApiProperty({ example: true, description: 'true: refuse new members (join requests, invites, passwords, admissions) with 409; false: let them in again' })
  @IsDefined({ message: 'blocked is required: true or false' })
  @IsBoolean({ message: 'blocked must be true or false' })
  blocked!: boolean;
}

export class TransferOwnershipDto implements TransferOwnershipRequest {
  @ApiProperty({ format: 'uuid', example: '3f2c8e1a-2b4d-4c6e-9a7b-1d2e3f4a5b6c', description: 'A current member of the room' })
  @IsDefined({ message: 'userId is required' })
  @IsUUID('all', { message: 'userId must be a user id (a UUID)' })
  userId!: string;
}

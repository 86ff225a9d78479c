import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ADMIN_PAGE_DEFAULT, ADMIN_PAGE_MAX, ROOM_NAME_MAX_CHARS, type SetJoinsBlockedRequest, type TransferOwnershipRequest } from '@conclave/contracts';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsDefined, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min, MinLength, ValidateBy } from 'class-validator';
import { decodeRoomCursor } from './room-cursor.js';

const LIMIT_MESSAGE = `limit must be a whole number from 1 to ${ADMIN_PAGE_MAX}`;

/** GET rooms: ?limit=&cursor=&q= */
export class ListRoomsQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: ADMIN_PAGE_MAX, default: ADMIN_PAGE_DEFAULT, example: 50, description: 'Rooms per page' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: LIMIT_MESSAGE })
  @Min(1, { message: LIMIT_MESSAGE })
  @Max(ADMIN_PAGE_MAX, { message: LIMIT_MESSAGE })
  limit?: number;

  @ApiPropertyOptional({ description: "The previous page's nextCursor, unchanged", example: 'eyJhIjoiMjAyNi0xMi0wM1QxNjoyMjowNS4xMjM0NTZaIiwiaSI6IjNmMmM4ZTFhLTJiNGQtNGM2ZS05YTdiLTFkMmUzZjRhNWI2YyJ9' })
  @IsOptional()
  @ValidateBy({
    name: 'roomCursor',
    validator: { validate: (value: unknown) => decodeRoomCursor(value) !== undefined, defaultMessage: () => 'cursor is not one this list gave out: pass nextCursor back unchanged' },
  })
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

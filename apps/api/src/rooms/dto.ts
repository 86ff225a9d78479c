import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { type CreateRoomRequest, type JoinRoomRequest, ROOM_MEMBERS_MAX, ROOM_NAME_MAX_CHARS, ROOM_PASSWORD_MAX_BYTES, type RoomHistory } from '@conclave/contracts';
import { Transform } from 'class-transformer';
import { IsByteLength, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** bcrypt reads a password's first 72 UTF-8 bytes only: a longer one is refused, not cut short. */
const PASSWORD_TOO_LONG = `password must be at most ${ROOM_PASSWORD_MAX_BYTES} bytes in UTF-8 (${ROOM_PASSWORD_MAX_BYTES} plain letters, fewer accented ones)`;

export class CreateRoomDto implements CreateRoomRequest {
  @ApiProperty({ example: 'Design team', maxLength: ROOM_NAME_MAX_CHARS })
  @Transform(trim)
  @IsString({ message: 'name is required' })
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(ROOM_NAME_MAX_CHARS, { message: `name must be at most ${ROOM_NAME_MAX_CHARS} characters` })
  name!: string;

  @ApiPropertyOptional({ description: `Joiners must give it; stored with bcrypt. At least 4 characters, at most ${ROOM_PASSWORD_MAX_BYTES} bytes in UTF-8` })
  @IsOptional()
  @IsString()
  @MinLength(4, { message: 'password must be at least 4 characters' })
  @IsByteLength(0, ROOM_PASSWORD_MAX_BYTES, { message: PASSWORD_TOO_LONG })
  password?: string;

  @ApiPropertyOptional({ minimum: 2, maximum: ROOM_MEMBERS_MAX })
  @IsOptional()
  @IsInt({ message: `maxMembers must be a whole number from 2 to ${ROOM_MEMBERS_MAX}` })
  @Min(2, { message: `maxMembers must be a whole number from 2 to ${ROOM_MEMBERS_MAX}` })
  @Max(ROOM_MEMBERS_MAX, { message: `maxMembers must be a whole number from 2 to ${ROOM_MEMBERS_MAX}` })
  maxMembers?: number;

  @ApiProperty({ enum: ['shared', 'joined'], description: 'shared: joiners can read earlier messages; joined: only from their join on' })
  @IsIn(['shared', 'joined'], { message: 'history must be "shared" or "joined"' })
  history!: RoomHistory;
}

export class JoinRoomDto implements JoinRoomRequest {
  @ApiPropertyOptional({ description: `At most ${ROOM_PASSWORD_MAX_BYTES} bytes in UTF-8` })
  @IsOptional()
  @IsString()
  @IsByteLength(0, ROOM_PASSWORD_MAX_BYTES, { message: PASSWORD_TOO_LONG })
  password?: string;
}

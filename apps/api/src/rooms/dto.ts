import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { type CreateRoomRequest, type JoinRoomRequest, ROOM_MEMBERS_MAX, ROOM_NAME_MAX_CHARS, type RoomHistory } from '@conclave/contracts';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateRoomDto implements CreateRoomRequest {
  @ApiProperty({ example: 'Design team', maxLength: ROOM_NAME_MAX_CHARS })
  @Transform(trim)
  @IsString({ message: 'name is required' })
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(ROOM_NAME_MAX_CHARS, { message: `name must be at most ${ROOM_NAME_MAX_CHARS} characters` })
  name!: string;

  @ApiPropertyOptional({ description: 'Joiners must give it; stored with bcrypt' })
  @IsOptional()
  @IsString()
  @MinLength(4, { message: 'password must be at least 4 characters' })
  @MaxLength(72, { message: 'password must be at most 72 characters' })
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
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(72)
  password?: string;
}

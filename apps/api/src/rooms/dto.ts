import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { type CreateRoomRequest, INVITE_ID_PATTERN, type JoinRoomRequest, ROOM_MEMBERS_MAX, ROOM_NAME_MAX_CHARS, type RoomHistory, type UpdateRoomRequest } from '@conclave/contracts';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsDefined, IsIn, IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateBy, ValidateIf, ValidateNested } from 'class-validator';
import { Base64Bytes } from './membership/dto.js';

/** The field is valid only when `other` is (present) or is not (absent) given as well. */
const Needs = (other: keyof JoinRoomRequest, present: boolean, message: string) =>
  ValidateBy({
    name: 'needs',
    validator: { validate: (_value: unknown, args) => ((args?.object as JoinRoomRequest)[other] !== undefined) === present, defaultMessage: () => message },
  });

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateRoomDto implements CreateRoomRequest {
  @ApiProperty({ example: 'Design team', maxLength: ROOM_NAME_MAX_CHARS })
  @Transform(trim)
  @IsString({ message: 'name is required' })
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(ROOM_NAME_MAX_CHARS, { message: `name must be at most ${ROOM_NAME_MAX_CHARS} characters` })
  name!: string;

  @ApiPropertyOptional({
    description: "The room will have a password: every join is refused until the owner's browser sets it (PUT /api/rooms/{code}/password). The password itself never reaches the server.",
  })
  @IsOptional()
  @IsBoolean({ message: 'withPassword must be true or false' })
  withPassword?: boolean;

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

/** PATCH /api/rooms/:code: what is given changes (at least one field: RoomsService refuses an empty body); null is refused, not read as absent. */
export class UpdateRoomDto implements UpdateRoomRequest {
  @ApiPropertyOptional({ example: 'Design team', minLength: 1, maxLength: ROOM_NAME_MAX_CHARS, description: 'The new name (trimmed)' })
  @ValidateIf((dto: UpdateRoomDto) => dto.name !== undefined)
  @Transform(trim)
  @IsString({ message: 'name must be a string' })
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(ROOM_NAME_MAX_CHARS, { message: `name must be at most ${ROOM_NAME_MAX_CHARS} characters` })
  name?: string;

  @ApiPropertyOptional({ minimum: 2, maximum: ROOM_MEMBERS_MAX, description: "The new member limit: not below the room's current number of members (409)" })
  @ValidateIf((dto: UpdateRoomDto) => dto.maxMembers !== undefined)
  @IsInt({ message: `maxMembers must be a whole number from 2 to ${ROOM_MEMBERS_MAX}` })
  @Min(2, { message: `maxMembers must be a whole number from 2 to ${ROOM_MEMBERS_MAX}` })
  @Max(ROOM_MEMBERS_MAX, { message: `maxMembers must be a whole number from 2 to ${ROOM_MEMBERS_MAX}` })
  maxMembers?: number;
}

export class InviteProofDto {
  @ApiProperty({ description: 'The invite id (from the link\'s secret): 22 characters of base64url' })
  @IsString({ message: 'invite.id must be an invite id (22 characters of base64url)' })
  @Matches(INVITE_ID_PATTERN, { message: 'invite.id must be an invite id (22 characters of base64url)' })
  id!: string;

  @ApiProperty({ description: "joinProof(invite verifier, code, me): 32 bytes, base64 (a member's browser checks it)" })
  @Base64Bytes(32, 'invite.proof')
  proof!: string;
}

export class JoinRoomDto implements JoinRoomRequest {
  @ApiPropertyOptional({ description: 'For a password room: deriveRoomPassword(password, code).joinKey, 32 bytes, base64. Not with invite.' })
  @IsOptional()
  @Base64Bytes(32, 'joinKey')
  joinKey?: string;

  @ApiPropertyOptional({ description: "With joinKey (required then): joinProof(admitKey, code, me), 32 bytes, base64 (a member's browser checks it)" })
  @ValidateIf((dto: JoinRoomDto) => dto.joinKey !== undefined || dto.proof !== undefined)
  @IsDefined({ message: 'proof must come with joinKey' })
  @Base64Bytes(32, 'proof')
  @Needs('joinKey', true, 'proof goes with joinKey (an invite carries its own proof)')
  proof?: string;

  @ApiPropertyOptional({ type: InviteProofDto, description: 'An invite link\'s id and proof; replaces the password and the approval. Not with joinKey.' })
  @IsOptional()
  @IsObject({ message: 'invite must be { id, proof }' })
  @ValidateNested()
  @Type(() => InviteProofDto)
  @Needs('joinKey', false, 'Give an invite or a joinKey, not both')
  invite?: InviteProofDto;
}

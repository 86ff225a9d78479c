import { ApiProperty } from '@nestjs/swagger';
import {
  ADMISSION_VIAS,
  type Admission,
  type AdmissionVia,
  type CreateInviteRequest,
  type DeclineRequest,
  type GenesisRequest,
  type GrantRequest,
  INVITE_ID_PATTERN,
  INVITE_MAX_DAYS,
  INVITE_MAX_USES,
  ROOM_MEMBERS_MAX,
  type RoomGenesis,
  type SealedVerifier,
  type SetRoomPasswordRequest,
} from '@conclave/contracts';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsISO8601, IsObject, IsString, IsUUID, Matches, Max, Min, ValidateNested } from 'class-validator';
import { Base64Bytes as Base64Range } from '../../realtime/base64-bytes.js';

/** Standard base64 that decodes to exactly `bytes` bytes. */
export const Base64Bytes = (bytes: number, field: string) => Base64Range(bytes, bytes, `${field} must be ${bytes} bytes of base64`);

const EPOCH_MESSAGE = 'epoch must be a positive integer';

export class SealedVerifierDto implements SealedVerifier {
  @ApiProperty({ description: 'The epoch whose key seals the verifier (an epoch of this room)', minimum: 1 })
  @IsInt({ message: `sealed.${EPOCH_MESSAGE}` })
  @Min(1, { message: `sealed.${EPOCH_MESSAGE}` })
  @Max(2_147_483_647, { message: `sealed.${EPOCH_MESSAGE}` })
  epoch!: number;

  @ApiProperty({ description: 'AES-GCM IV: 12 bytes, base64' })
  @Base64Bytes(12, 'sealed.iv')
  iv!: string;

  @ApiProperty({ description: 'The 32-byte verifier key encrypted, with its 16-byte tag: 48 bytes, base64' })
  @Base64Bytes(48, 'sealed.ct')
  ct!: string;
}

export class SetRoomPasswordDto implements SetRoomPasswordRequest {
  @ApiProperty({ description: 'deriveRoomPassword(password, code).joinKey: 32 bytes, base64; the server keeps bcrypt of it' })
  @Base64Bytes(32, 'joinKey')
  joinKey!: string;

  @ApiProperty({ type: SealedVerifierDto, description: 'The password\'s admitKey sealed under an epoch key of the room (verifierId "password")' })
  @IsObject({ message: 'sealed must be a sealed verifier { epoch, iv, ct }' })
  @ValidateNested()
  @Type(() => SealedVerifierDto)
  sealed!: SealedVerifierDto;
}

export class CreateInviteDto implements CreateInviteRequest {
  @ApiProperty({ description: 'inviteIdFromSecret(secret): 22 characters of base64url', example: 'q1w2e3r4t5y6u7i8o9p0a_' })
  @IsString({ message: 'id must be an invite id (22 characters of base64url)' })
  @Matches(INVITE_ID_PATTERN, { message: 'id must be an invite id (22 characters of base64url)' })
  id!: string;

  @ApiProperty({ description: `ISO 8601, in the future and at most ${INVITE_MAX_DAYS} days ahead` })
  @IsISO8601({ strict: true }, { message: 'expiresAt must be an ISO 8601 date and time' })
  expiresAt!: string;

  @ApiProperty({ minimum: 1, maximum: INVITE_MAX_USES })
  @IsInt({ message: `maxUses must be a whole number from 1 to ${INVITE_MAX_USES}` })
  @Min(1, { message: `maxUses must be a whole number from 1 to ${INVITE_MAX_USES}` })
  @Max(INVITE_MAX_USES, { message: `maxUses must be a whole number from 1 to ${INVITE_MAX_USES}` })
  maxUses!: number;

  @ApiProperty({ type: SealedVerifierDto, description: "The invite's verifier key sealed under an epoch key of the room (verifierId = the invite id)" })
  @IsObject({ message: 'sealed must be a sealed verifier { epoch, iv, ct }' })
  @ValidateNested()
  @Type(() => SealedVerifierDto)
  sealed!: SealedVerifierDto;
}

/** The parts of a genesis or an admission every signed record shares: a room, people, a digest, a signature. */
const DIGEST = (field: string) => Base64Bytes(32, field);
const SIGNATURE = (field: string) => Base64Bytes(64, field);

/** Also the genesis of RoomDetail (the room's root of trust, as its creator signed it). */
export class GenesisDto implements RoomGenesis {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'genesis.roomId must be a UUID' })
  roomId!: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'genesis.creatorId must be a UUID' })
  creatorId!: string;

  @ApiProperty({ description: "memberKeysDigest(creatorId, the creator's public keys): 32 bytes, base64" })
  @DIGEST('genesis.creatorKeys')
  creatorKeys!: string;

  @ApiProperty({ description: "ECDSA P-256/SHA-256 by the creator, 64 bytes r‖s, base64" })
  @SIGNATURE('genesis.sig')
  sig!: string;
}

/** Also each admission of RoomDetail (signed by the member who admitted). */
export class AdmissionDto implements Admission {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'admission.roomId must be a UUID' })
  roomId!: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'admission.memberId must be a UUID' })
  memberId!: string;

  @ApiProperty({ description: "memberKeysDigest(memberId, the member's public keys): 32 bytes, base64 (the keys boxes may be wrapped to)" })
  @DIGEST('admission.memberKeys')
  memberKeys!: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'admission.admitterId must be a UUID' })
  admitterId!: string;

  @ApiProperty({ enum: ADMISSION_VIAS })
  @IsIn(ADMISSION_VIAS, { message: `admission.via must be one of ${ADMISSION_VIAS.join(', ')}` })
  via!: AdmissionVia;

  @ApiProperty({ type: 'integer', description: "The admitter's clock, milliseconds since 1970 (UTC)", example: 1796315197818 })
  @IsInt({ message: 'admission.admittedAt must be milliseconds since 1970' })
  @Min(0, { message: 'admission.admittedAt must be milliseconds since 1970' })
  @Max(Number.MAX_SAFE_INTEGER, { message: 'admission.admittedAt must be milliseconds since 1970' })
  admittedAt!: number;

  @ApiProperty({ description: 'ECDSA P-256/SHA-256 by the admitter, 64 bytes r‖s, base64' })
  @SIGNATURE('admission.sig')
  sig!: string;
}

/** c→s 'room:genesis' */
export class GenesisRequestDto implements GenesisRequest {
  @IsUUID('all', { message: 'roomId must be a UUID' })
  roomId!: string;

  @IsObject({ message: 'genesis must be a signed genesis' })
  @ValidateNested()
  @Type(() => GenesisDto)
  genesis!: GenesisDto;

  @IsArray({ message: 'admissions must be a list of admissions' })
  @ArrayMaxSize(ROOM_MEMBERS_MAX, { message: `admissions must hold at most ${ROOM_MEMBERS_MAX} admissions` })
  @IsObject({ each: true, message: 'each admission must be an object' })
  @ValidateNested({ each: true })
  @Type(() => AdmissionDto)
  admissions!: AdmissionDto[];
}

/** c→s 'admission:grant' */
export class GrantRequestDto implements GrantRequest {
  @IsUUID('all', { message: 'roomId must be a UUID' })
  roomId!: string;

  @IsObject({ message: 'admission must be a signed admission' })
  @ValidateNested()
  @Type(() => AdmissionDto)
  admission!: AdmissionDto;
}

/** c→s 'admission:decline' */
export class DeclineRequestDto implements DeclineRequest {
  @IsUUID('all', { message: 'roomId must be a UUID' })
  roomId!: string;

  @IsUUID('all', { message: 'userId must be a UUID' })
  userId!: string;
}

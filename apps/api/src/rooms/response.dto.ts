import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  type AdmissionVia,
  type InviteSummary,
  INVITE_MAX_USES,
  type JoinRequest,
  type JoinResult,
  type PendingRoom,
  ROOM_MEMBERS_MAX,
  type RoomDetail,
  type RoomHistory,
  type RoomMember,
  type RoomRole,
  type RoomSummary,
} from '@conclave/contracts';
import { PublicKeysDto } from '../auth/dto.js';
import { AdmissionDto, GenesisDto, SealedVerifierDto } from './membership/dto.js';

const ROOM_CODE = { example: 'K7QX', description: '4 characters of 23456789ABCDEFGHJKMNPQRSTUVWXYZ' } as const;
const ISO_TIME = { format: 'date-time', example: '2026-12-03T16:22:05.000Z' } as const;
const JOIN_VIAS: Array<Exclude<AdmissionVia, 'upgrade'>> = ['approval', 'invite', 'password'];

export class RoomSummaryDto implements RoomSummary {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty(ROOM_CODE)
  code!: string;

  @ApiProperty({ example: 'Design team' })
  name!: string;

  @ApiProperty({ enum: ['shared', 'joined'], description: 'shared: joiners can read earlier messages; joined: only from their join on' })
  history!: RoomHistory;

  @ApiProperty({ type: 'integer', minimum: 2, maximum: ROOM_MEMBERS_MAX, example: ROOM_MEMBERS_MAX })
  maxMembers!: number;

  @ApiProperty({ description: 'Joining needs the room password (or an invite)' })
  hasPassword!: boolean;

  @ApiProperty({ type: 'integer', minimum: 1, example: 3 })
  memberCount!: number;

  @ApiProperty({ enum: ['owner', 'member'], description: "The caller's role" })
  role!: RoomRole;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'The key epoch messages must use now (0 before the first)', example: 1 })
  currentEpoch!: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: "Messages after the caller's read marker", example: 0 })
  unread!: number;
}

export class RoomMemberDto implements RoomMember {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'alice' })
  username!: string;

  @ApiProperty({ enum: ['owner', 'member'] })
  role!: RoomRole;

  @ApiProperty(ISO_TIME)
  joinedAt!: string;

  @ApiProperty({ type: PublicKeysDto })
  publicKeys!: PublicKeysDto;
}

export class PendingRoomDto implements PendingRoom {
  @ApiProperty(ROOM_CODE)
  code!: string;

  @ApiProperty({ example: 'Design team' })
  name!: string;

  @ApiProperty({ enum: JOIN_VIAS, description: 'approval: a code alone, a member decides; invite / password: a proof a member’s browser checks' })
  via!: Exclude<AdmissionVia, 'upgrade'>;

  @ApiProperty(ISO_TIME)
  requestedAt!: string;
}

/** A join request waiting for a member's browser (also the socket event admission:requested). */
export class JoinRequestDto implements JoinRequest {
  @ApiProperty({ format: 'uuid' })
  roomId!: string;

  @ApiProperty(ROOM_CODE)
  code!: string;

  @ApiProperty({ format: 'uuid' })
  userId!: string;

  @ApiProperty({ example: 'bob' })
  username!: string;

  @ApiProperty({ type: PublicKeysDto, description: "The joiner's directory keys: admit only these, after checking the safety number or the proof" })
  publicKeys!: PublicKeysDto;

  @ApiProperty({ enum: JOIN_VIAS })
  via!: Exclude<AdmissionVia, 'upgrade'>;

  @ApiPropertyOptional({ description: "For via 'invite': which invite (22 characters of base64url)" })
  inviteId?: string;

  @ApiPropertyOptional({ description: "For via 'invite' and 'password': the joiner's proof, 32 bytes, base64" })
  proof?: string;

  @ApiPropertyOptional({ type: SealedVerifierDto, description: "For via 'invite' and 'password': the verifier to open (under an epoch the member holds) and check the proof with" })
  sealed?: SealedVerifierDto;

  @ApiProperty(ISO_TIME)
  requestedAt!: string;
}

export class RoomDetailDto extends RoomSummaryDto implements RoomDetail {
  @ApiProperty({ type: [RoomMemberDto], description: 'Current members as the server reports them (it may exclude; it cannot include: browsers check admissions)' })
  members!: RoomMemberDto[];

  @ApiProperty({ type: GenesisDto, nullable: true, description: "The room's signed root of trust; null until its creator's browser has signed it" })
  genesis!: GenesisDto | null;

  @ApiProperty({ type: [AdmissionDto], description: 'Every admission of the room, also of members who left' })
  admissions!: AdmissionDto[];

  @ApiProperty({ type: [JoinRequestDto], description: "Join requests waiting for a member's browser" })
  pending!: JoinRequestDto[];
}

type MemberResult = Extract<JoinResult, { status: 'member' }>;
type PendingResult = Extract<JoinResult, { status: 'pending' }>;

/** The caller is a member already (a join by a member changes nothing). */
export class JoinedResultDto implements MemberResult {
  @ApiProperty({ enum: ['member'] })
  status!: 'member';

  @ApiProperty({ type: RoomSummaryDto })
  room!: RoomSummaryDto;
}

/** The caller waits for a member's browser to admit them (admission:resolved tells them). */
export class PendingResultDto implements PendingResult {
  @ApiProperty({ enum: ['pending'] })
  status!: 'pending';

  @ApiProperty({ type: PendingRoomDto })
  room!: PendingRoomDto;
}

export class InviteSummaryDto implements InviteSummary {
  @ApiProperty({ description: '22 characters of base64url', example: 'q1w2e3r4t5y6u7i8o9p0a_' })
  id!: string;

  @ApiProperty({ format: 'uuid', description: 'The member who made it' })
  createdBy!: string;

  @ApiProperty(ISO_TIME)
  createdAt!: string;

  @ApiProperty(ISO_TIME)
  expiresAt!: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: INVITE_MAX_USES, example: 10 })
  maxUses!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 0 })
  uses!: number;

  @ApiProperty()
  revoked!: boolean;
}

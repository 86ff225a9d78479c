import { ApiProperty } from '@nestjs/swagger';
import type { AdminJob, AdminRoomDetail, AdminRoomMember, AdminRoomSummary } from '@conclave/contracts';
import { PageDto } from '../common/page.dto.js';

/** The response schemas of the rooms half of the admin API (Swagger), implementing the contract types. */

const ROOM_ID = '0b7e6a52-3c1f-4d2a-9e8b-5f4c3d2b1a00';
const USER_ID = '3f2c8e1a-2b4d-4c6e-9a7b-1d2e3f4a5b6c';
const JOB_ID = '8d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a';

export class AdminRoomSummaryDto implements AdminRoomSummary {
  @ApiProperty({ format: 'uuid', example: ROOM_ID })
  id!: string;

  @ApiProperty({ example: 'K7QX', description: 'The 4-character room code' })
  code!: string;

  @ApiProperty({ example: 'Design team' })
  name!: string;

  @ApiProperty({ format: 'uuid', example: USER_ID })
  ownerId!: string;

  @ApiProperty({ example: 'ann' })
  ownerUsername!: string;

  @ApiProperty({ example: 4 })
  memberCount!: number;

  @ApiProperty({ example: false, description: 'An administrator has blocked new joins' })
  joinsBlocked!: boolean;

  @ApiProperty({ format: 'date-time', example: '2026-11-02T09:15:00.000Z' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', example: '2026-12-03T16:22:05.123Z', description: 'The last message stored, or the creation' })
  lastActivityAt!: string;
}

export class AdminRoomPageDto extends PageDto(AdminRoomSummaryDto, {
  order: 'Newest activity first',
  cursorExample: 'eyJhIjoiMjAyNi0xMi0wM1QxNjoyMjowNS4xMjM0NTZaIiwiaSI6IjBiN2U2YTUyLTNjMWYtNGQyYS05ZThiLTVmNGMzZDJiMWEwMCJ9',
}) {}

export class AdminRoomDetailDto extends AdminRoomSummaryDto implements AdminRoomDetail {
  @ApiProperty({ example: 1, description: 'Join requests waiting for a member to admit them' })
  pendingCount!: number;

  @ApiProperty({ example: 50 })
  maxMembers!: number;

  @ApiProperty({ example: false, description: 'Joining needs the room password (its check value only: the password itself never reaches the server)' })
  hasPassword!: boolean;

  @ApiProperty({ enum: ['shared', 'joined'], example: 'shared', description: 'shared: newcomers read earlier messages; joined: only from their join on' })
  history!: 'shared' | 'joined';

  @ApiProperty({ example: 3, description: 'The current key epoch (it moves on when a member leaves or is removed)' })
  currentEpoch!: number;

  @ApiProperty({ example: 1280, description: 'Messages stored (ciphertext: their content is end-to-end encrypted)' })
  messageCount!: number;

  @ApiProperty({ example: 12, description: 'Files its messages carry' })
  fileCount!: number;

  @ApiProperty({ example: 20971520, description: 'Their ciphertext, in bytes' })
  fileBytes!: number;
}

export class AdminRoomMemberDto implements AdminRoomMember {
  @ApiProperty({ format: 'uuid', example: USER_ID })
  id!: string;

  @ApiProperty({ example: 'ann' })
  username!: string;

  @ApiProperty({ enum: ['owner', 'member'], example: 'owner' })
  role!: 'owner' | 'member';

  @ApiProperty({ format: 'date-time', example: '2026-11-02T09:15:00.000Z' })
  joinedAt!: string;
}

export class AdminJobTargetDto {
  @ApiProperty({ format: 'uuid', example: ROOM_ID })
  roomId!: string;

  @ApiProperty({ example: 'K7QX' })
  code!: string;
}

const JOB_RESULT_SCHEMA = {
  type: 'object' as const,
  nullable: true,
  description: "When the job succeeded: what was removed (null until then, and for a failed job)",
  required: ['members', 'messages', 'files', 'fileBytes'],
  properties: {
    members: { type: 'integer' as const, example: 4 },
    messages: { type: 'integer' as const, example: 1280 },
    files: { type: 'integer' as const, example: 12, description: 'Files of the room (waiting uploads included) whose ciphertext was deleted from storage' },
    fileBytes: { type: 'integer' as const, example: 20971520 },
  },
  example: { members: 4, messages: 1280, files: 12, fileBytes: 20971520 },
};

export class AdminJobDto implements AdminJob {
  @ApiProperty({ format: 'uuid', example: JOB_ID })
  id!: string;

  @ApiProperty({ enum: ['room-deletion'], example: 'room-deletion' })
  kind!: 'room-deletion';

  @ApiProperty({ enum: ['queued', 'running', 'succeeded', 'failed'], example: 'succeeded', description: 'Poll GET jobs/{jobId} until succeeded or failed' })
  state!: AdminJob['state'];

  @ApiProperty({ type: AdminJobTargetDto, description: "The room's id and code (the room itself is gone once the job has run)" })
  target!: AdminJobTargetDto;

  @ApiProperty({ format: 'date-time', example: '2026-12-03T16:30:00.000Z' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-12-03T16:30:02.000Z' })
  finishedAt!: string | null;

  @ApiProperty(JOB_RESULT_SCHEMA)
  result!: AdminJob['result'];

  @ApiProperty({ type: String, nullable: true, example: null, description: 'Why it failed (the storage could not delete the files after several tries)' })
  error!: string | null;
}

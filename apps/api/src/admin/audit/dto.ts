import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { AuditRecord } from '@conclave/contracts';
import { IsOptional, IsUUID, Matches } from 'class-validator';
import { Checked, IsCursorOf, isoTimeProblem, PageQueryDto } from '../common/admin-query.js';
import { isRecordOf, KeysetCursor } from '../common/keyset-cursor.js';
import { PageDto } from '../common/page.dto.js';

/** GET audit pages by id, newest first: the cursor is the last id of a page. */
export const AUDIT_CURSOR = new KeysetCursor('audit', isRecordOf({ id: (v) => /^[1-9]\d{0,18}$/.test(v) && BigInt(v) <= 9_223_372_036_854_775_807n }));

/** An event name (auth.login, room.member_removed) or a prefix of one ending in '.' (admin.), at most 64 characters. */
const ACTION = /^(?=.{1,64}$)[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.?$/;

export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only what this user did (an admin, or the admin whose token acted)' })
  @IsOptional()
  @IsUUID('all', { message: 'actor must be a user id (a UUID)' })
  actor?: string;

  @ApiPropertyOptional({ description: "An event name (e.g. user.disabled), or a prefix ending in '.' (e.g. admin.) for every event under it", example: 'admin.' })
  @IsOptional()
  @Matches(ACTION, { message: "action must be an event name (e.g. user.disabled) or a prefix ending in '.' (e.g. admin.)" })
  action?: string;

  @ApiPropertyOptional({ description: 'Only records about this target (a user, room, token or job id)', example: '3f2c9a4e-8b1d-4c6e-9a7f-2d5b8e1c4a90' })
  @IsOptional()
  @Checked('isTarget', (target) => (typeof target === 'string' && target.length >= 1 && target.length <= 200 ? undefined : 'target must be an id of 1 to 200 characters'))
  target?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Records at or after this time', example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @Checked('isIsoTime', (from) => isoTimeProblem('from', from))
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Records before this time (not at it); later than from', example: '2026-02-01T00:00:00Z' })
  @IsOptional()
  @Checked('isTimeAfterFrom', (to, dto) => {
    const from = (dto as AuditQueryDto).from;
    const problem = isoTimeProblem('to', to);
    if (problem || from === undefined || isoTimeProblem('from', from)) return problem;
    return Date.parse(to as string) > Date.parse(from) ? undefined : 'to must be later than from';
  })
  to?: string;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsCursorOf(AUDIT_CURSOR)
  cursor?: string;
}

export class AuditRecordDto implements AuditRecord {
  @ApiProperty({ description: 'Increasing with time', example: '1042' })
  id!: string;

  @ApiProperty({ format: 'date-time', example: '2026-01-31T09:15:00.000Z' })
  at!: string;

  @ApiProperty({ description: 'The event, e.g. auth.login, user.disabled, token.created, admin.call', example: 'user.disabled' })
  action!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: "Who acted: a user, or the admin whose API token did; null for the server's own events", example: '3f2c9a4e-8b1d-4c6e-9a7f-2d5b8e1c4a90' })
  actorId!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The API token that acted, when one did', example: null })
  tokenId!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'What it was done to (a user, room, token or job id)', example: '8c1e4f2a-3b5d-4e6f-8a9b-0c1d2e3f4a5b' })
  target!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The client address', example: '203.0.113.7' })
  ip!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string', nullable: true }, { type: 'number' }, { type: 'boolean' }] },
    description: 'Flat facts (ids, names, counts); never secrets or content',
    example: { sessionsEnded: 2 },
  })
  details!: Record<string, string | number | boolean | null>;
}

export class AuditPageDto extends PageDto(AuditRecordDto, { order: 'Newest first', cursorExample: 'eyJpZCI6IjEwNDIifQ' }) {}

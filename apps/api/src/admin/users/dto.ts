import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { type AdminUserDetail, type AdminUserSummary, type SetAdminRequest, USERNAME_PATTERN } from '@conclave/contracts';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, Matches } from 'class-validator';
import { IsCursorOf, PageQueryDto } from '../common/admin-query.js';
import { isRecordOf, KeysetCursor } from '../common/keyset-cursor.js';
import { PageDto } from '../common/page.dto.js';

/** GET users pages by username: the cursor is the last username of a page. */
export const USERS_CURSOR = new KeysetCursor('users', isRecordOf({ username: (v) => USERNAME_PATTERN.test(v) }));

const USER_ID_EXAMPLE = '3f2c9a4e-8b1d-4c6e-9a7f-2d5b8e1c4a90';

export class AdminUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsCursorOf(USERS_CURSOR)
  cursor?: string;

  @ApiPropertyOptional({ description: 'Only usernames starting with this (case-insensitive)', example: 'ali', maxLength: 32 })
  // An empty ?q= is no filter.
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() || undefined : value))
  @IsOptional()
  @Matches(/^[a-z0-9_.-]{1,32}$/, { message: 'q must be the start of a username: 1 to 32 letters, digits, _ . or -' })
  q?: string;
}

export class SetAdminDto implements SetAdminRequest {
  @ApiProperty({ description: 'true grants site admin, false revokes it', example: true })
  @IsBoolean({ message: 'admin must be true or false' })
  admin!: boolean;
}

export class AdminUserSummaryDto implements AdminUserSummary {
  @ApiProperty({ format: 'uuid', example: USER_ID_EXAMPLE })
  id!: string;

  @ApiProperty({ example: 'alice' })
  username!: string;

  @ApiProperty({ description: 'A site admin', example: false })
  admin!: boolean;

  @ApiProperty({ description: 'Disabled by an admin: cannot sign in', example: false })
  disabled!: boolean;

  @ApiProperty({ format: 'date-time', example: '2026-01-31T09:15:00.000Z' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Last signed-in activity; null when never seen', example: '2026-03-02T17:40:12.000Z' })
  lastSeenAt!: string | null;
}

export class AdminUserRoomDto {
  @ApiProperty({ format: 'uuid', example: '8c1e4f2a-3b5d-4e6f-8a9b-0c1d2e3f4a5b' })
  id!: string;

  @ApiProperty({ example: 'K7QX' })
  code!: string;

  @ApiProperty({ example: 'Design team' })
  name!: string;

  @ApiProperty({ enum: ['owner', 'member'], example: 'member' })
  role!: 'owner' | 'member';
}

export class AdminUserDetailDto extends AdminUserSummaryDto implements AdminUserDetail {
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When an admin disabled the account', example: null })
  disabledAt!: string | null;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Live sessions (signed-in browsers)', example: 2 })
  sessions!: number;

  @ApiProperty({ type: [AdminUserRoomDto], description: 'The rooms the user belongs to, by name' })
  rooms!: AdminUserRoomDto[];
}

export class AdminUserPageDto extends PageDto(AdminUserSummaryDto, { order: 'By username', cursorExample: 'eyJ1c2VybmFtZSI6ImFsaWNlIn0' }) {}

import { Body, Delete, Get, HttpCode, Ip, Post, Put, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse } from '@nestjs/swagger';
import { ADMIN_PATHS, type AdminUserDetail, type AdminUserSummary, type Page } from '@conclave/contracts';
import { CurrentActor } from '../../auth/principal/decorators.js';
import type { Actor } from '../../auth/principal/principal.js';
import { AdminController } from '../common/admin-controller.js';
import { AdminRoute, BadInput, Conflict, IdParam, NotFound } from '../common/admin-docs.js';
import { ADMIN_TAGS } from '../common/admin-tags.js';
import { UuidParam } from '../common/uuid-param.js';
import { AdminUsersService } from './admin-users.service.js';
import { AdminUserDetailDto, AdminUserPageDto, AdminUsersQueryDto, SetAdminDto } from './dto.js';

const NO_USER = 'No user has this id';
const BAD_USER_ID = 'userId is not a UUID';

@AdminController(ADMIN_TAGS.users)
export class AdminUsersController {
  constructor(private readonly users: AdminUsersService) {}

  @Get(ADMIN_PATHS.users)
  @AdminRoute('users:read', 'List and search users, by username', 'Keyset pages: pass nextCursor back as cursor until it is null.')
  @ApiOkResponse({ type: AdminUserPageDto, description: 'A page of users (Page<AdminUserSummary>)' })
  @BadInput('A limit outside 1-200, a cursor this list did not make, or a q that cannot start a username')
  list(@Query() query: AdminUsersQueryDto): Promise<Page<AdminUserSummary>> {
    return this.users.page(query);
  }

  @Get(ADMIN_PATHS.user)
  @AdminRoute('users:read', "A user's details: admin, disabled, last seen, live sessions, rooms")
  @ApiOkResponse({ type: AdminUserDetailDto, description: 'The user as it now is (AdminUserDetail)' })
  @IdParam('userId', "The user's id")
  @BadInput(BAD_USER_ID)
  @NotFound(NO_USER)
  detail(@UuidParam('userId') userId: string): Promise<AdminUserDetail> {
    return this.users.detail(userId);
  }

  @Post(ADMIN_PATHS.userDisable)
  @HttpCode(200)
  @AdminRoute(
    'users:write',
    'Disable an account: sign-in is refused and every session ends',
    "Their REST calls answer 401 at once and their sockets receive 'session:ended' and close within seconds. Disabling a disabled account changes nothing. Audited as user.disabled.",
  )
  @ApiOkResponse({ type: AdminUserDetailDto, description: 'The user as it now is (AdminUserDetail)' })
  @IdParam('userId', "The user's id")
  @BadInput(BAD_USER_ID)
  @NotFound(NO_USER)
  @Conflict('The caller is this user (an admin, or the admin who made the token): an admin cannot disable their own account')
  disable(@UuidParam('userId') userId: string, @CurrentActor() actor: Actor, @Ip() ip: string): Promise<AdminUserDetail> {
    return this.users.disable(userId, actor, ip);
  }

  @Post(ADMIN_PATHS.userEnable)
  @HttpCode(200)
  @AdminRoute('users:write', 'Enable a disabled account: the user can sign in again', 'Audited as user.enabled.')
  @ApiOkResponse({ type: AdminUserDetailDto, description: 'The user as it now is (AdminUserDetail)' })
  @IdParam('userId', "The user's id")
  @BadInput(BAD_USER_ID)
  @NotFound(NO_USER)
  enable(@UuidParam('userId') userId: string, @CurrentActor() actor: Actor, @Ip() ip: string): Promise<AdminUserDetail> {
    return this.users.enable(userId, actor, ip);
  }

  @Delete(ADMIN_PATHS.userSessions)
  @HttpCode(204)
  @AdminRoute('users:write', "End all of a user's sessions (they may sign in again)", "Their sockets receive 'session:ended' and close within seconds. Audited as user.sessions_ended.")
  @ApiNoContentResponse({ description: 'Every session of the user has ended' })
  @IdParam('userId', "The user's id")
  @BadInput(BAD_USER_ID)
  @NotFound(NO_USER)
  endSessions(@UuidParam('userId') userId: string, @CurrentActor() actor: Actor, @Ip() ip: string): Promise<void> {
    return this.users.endSessions(userId, actor, ip);
  }

  @Put(ADMIN_PATHS.userAdmin)
  @AdminRoute('admin-session', 'Grant or revoke site admin', 'Audited as admin.granted / admin.revoked with details {by: "api"}.')
  @ApiOkResponse({ type: AdminUserDetailDto, description: 'The user as it now is (AdminUserDetail)' })
  @IdParam('userId', "The user's id")
  @BadInput(`${BAD_USER_ID}, or admin is not true or false`)
  @NotFound(NO_USER)
  @Conflict('An admin revoking their own admin rights: another admin must')
  setAdmin(@UuidParam('userId') userId: string, @Body() body: SetAdminDto, @CurrentActor() actor: Actor, @Ip() ip: string): Promise<AdminUserDetail> {
    return this.users.setAdmin(userId, body.admin, actor, ip);
  }
}

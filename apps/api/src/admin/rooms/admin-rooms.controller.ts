import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Put, Query, Res, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ADMIN_API_PREFIX, ADMIN_PATHS, type AdminJob, type AdminRoomDetail, type AdminRoomMember, type AdminRoomSummary, type Page } from '@conclave/contracts';
import type { Response } from 'express';
import { AdminAccess } from '../../auth/principal/admin.policy.js';
import { AcceptsApiTokens, CurrentPrincipal } from '../../auth/principal/decorators.js';
import { actorOf, type Principal } from '../../auth/principal/principal.js';
import type { RoomRef } from '../../rooms/admin-rooms.service.js';
import { RateLimitGuard } from '../../security/throttling/rate-limit.guard.js';
import { RateLimit } from '../../security/throttling/rate-limits.js';
import { AdminErrors } from '../admin-docs.js';
import { AdminRoomGuard, TargetRoom } from './admin-room.guard.js';
import { ListRoomsQueryDto, SetJoinsBlockedDto, TransferOwnershipDto } from './dto.js';
import { AdminJobDto, AdminRoomDetailDto, AdminRoomMemberDto, AdminRoomPageDto } from './responses.js';
import { RoomAdministration } from './room-administration.service.js';

const CODE_PARAM = { name: 'code', description: 'The 4-character room code (any case)', example: 'K7QX' };
const BAD_CODE = 'A malformed room code';
const NO_ROOM = 'No room has this code';
const userIdPipe = new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('userId must be a user id (a UUID)') });

/**
 * Rooms for integrators (README "Administration"): metadata only. Nothing here adds a member,
 * grants a key or opens a message; removing, blocking and deleting only exclude.
 */
@ApiTags('admin: rooms')
@ApiBearerAuth('api-token')
@AcceptsApiTokens()
@UseGuards(RateLimitGuard, AdminRoomGuard)
@RateLimit('admin')
@Controller(ADMIN_API_PREFIX)
export class AdminRoomsController {
  constructor(private readonly rooms: RoomAdministration) {}

  @Get(ADMIN_PATHS.rooms)
  @AdminAccess('rooms:read')
  @ApiOperation({ summary: 'List rooms, most recently active first, a page at a time; search by code or name' })
  @ApiOkResponse({ type: AdminRoomPageDto, description: 'A page of rooms and the cursor of the next' })
  @AdminErrors({ 400: 'limit not a whole number from 1 to 200, a cursor this list did not give out, or an empty or over-long q' })
  list(@Query() query: ListRoomsQueryDto): Promise<Page<AdminRoomSummary>> {
    return this.rooms.list(query);
  }

  @Get(ADMIN_PATHS.room)
  @AdminAccess('rooms:read')
  @ApiOperation({ summary: "A room's metadata: owner, members and waiting requests counted, limits, password set or not, history mode, key epoch, activity, messages and files counted" })
  @ApiParam(CODE_PARAM)
  @ApiOkResponse({ type: AdminRoomDetailDto, description: 'The room' })
  @AdminErrors({ 400: BAD_CODE, 404: NO_ROOM })
  detail(@TargetRoom() room: RoomRef): Promise<AdminRoomDetail> {
    return this.rooms.detail(room);
  }

  @Get(ADMIN_PATHS.roomMembers)
  @AdminAccess('rooms:read')
  @ApiOperation({ summary: "The room's members, longest-standing first" })
  @ApiParam(CODE_PARAM)
  @ApiOkResponse({ type: [AdminRoomMemberDto], description: 'Its members' })
  @AdminErrors({ 400: BAD_CODE, 404: NO_ROOM })
  members(@TargetRoom() room: RoomRef): Promise<AdminRoomMember[]> {
    return this.rooms.members(room);
  }

  @Delete(ADMIN_PATHS.roomMember)
  @HttpCode(204)
  @AdminAccess('rooms:write')
  @ApiOperation({
    summary:
      "Remove a member, as the owner's removal does: their sockets leave the room, the remaining members' browsers make a new room key, open invites are revoked. Removing the last member deletes the room",
  })
  @ApiParam(CODE_PARAM)
  @ApiParam({ name: 'userId', format: 'uuid', description: 'The member to remove' })
  @ApiNoContentResponse({ description: 'Removed' })
  @AdminErrors({ 400: `${BAD_CODE}, or a userId that is not a UUID`, 404: `${NO_ROOM}, or this person is not a member of it` })
  async removeMember(@TargetRoom() room: RoomRef, @Param('userId', userIdPipe) userId: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.rooms.removeMember(room, userId, actorOf(principal));
  }

  @Put(ADMIN_PATHS.roomJoins)
  @AdminAccess('rooms:write')
  @ApiOperation({ summary: 'Block or unblock new joins: while blocked, join requests, invite and password joins and admissions are refused with 409 (members stay)' })
  @ApiParam(CODE_PARAM)
  @ApiOkResponse({ type: AdminRoomDetailDto, description: 'The room, with joinsBlocked as asked' })
  @AdminErrors({ 400: `${BAD_CODE}, or blocked missing or not true/false`, 404: NO_ROOM })
  setJoinsBlocked(@TargetRoom() room: RoomRef, @Body() { blocked }: SetJoinsBlockedDto, @CurrentPrincipal() principal: Principal): Promise<AdminRoomDetail> {
    return this.rooms.setJoinsBlocked(room, blocked, actorOf(principal));
  }

  @Put(ADMIN_PATHS.roomOwner)
  @AdminAccess('rooms:write')
  @ApiOperation({ summary: 'Hand the room to one of its members; the old owner stays as a member' })
  @ApiParam(CODE_PARAM)
  @ApiOkResponse({ type: AdminRoomDetailDto, description: 'The room, with its new owner' })
  @AdminErrors({ 400: `${BAD_CODE}, or userId missing or not a UUID`, 404: NO_ROOM, 409: 'userId is not a member of the room' })
  transferOwnership(@TargetRoom() room: RoomRef, @Body() { userId }: TransferOwnershipDto, @CurrentPrincipal() principal: Principal): Promise<AdminRoomDetail> {
    return this.rooms.transferOwnership(room, userId, actorOf(principal));
  }

  @Delete(ADMIN_PATHS.room)
  @HttpCode(202)
  @AdminAccess('rooms:write')
  @ApiOperation({
    summary:
      'Delete the room with its messages, members and files, as a job: its members are told they were removed, then its files are deleted from storage. Poll the job (Location) until succeeded or failed. Asking again while it runs returns the same job',
  })
  @ApiParam(CODE_PARAM)
  @ApiAcceptedResponse({ type: AdminJobDto, description: 'The deletion job, queued (or the one already under way)', headers: { Location: { description: 'The job: /api/admin/v1/jobs/{jobId}', schema: { type: 'string' } } } })
  @AdminErrors({ 400: BAD_CODE, 404: NO_ROOM })
  async delete(@TargetRoom() room: RoomRef, @CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) res: Response): Promise<AdminJob> {
    const job = await this.rooms.delete(room, actorOf(principal));
    res.setHeader('Location', `/${ADMIN_API_PREFIX}/${ADMIN_PATHS.job.replace(':jobId', job.id)}`);
    return job;
  }
}

import { Body, Delete, Get, HttpCode, Put, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiNoContentResponse, ApiOkResponse, ApiParam } from '@nestjs/swagger';
import { ADMIN_API_PREFIX, ADMIN_PATHS, type AdminJob, type AdminRoomDetail, type AdminRoomMember, type AdminRoomSummary, type Page } from '@conclave/contracts';
import type { Response } from 'express';
import { CurrentActor } from '../../auth/principal/decorators.js';
import type { Actor } from '../../auth/principal/principal.js';
import type { RoomRef } from '../../rooms/admin-rooms.service.js';
import { AdminController } from '../common/admin-controller.js';
import { AdminRoute, BadInput, Conflict, IdParam, NotFound } from '../common/admin-docs.js';
import { ADMIN_TAGS } from '../common/admin-tags.js';
import { UuidParam } from '../common/uuid-param.js';
import { AdminRoomGuard, TargetRoom } from './admin-room.guard.js';
import { ListRoomsQueryDto, SetJoinsBlockedDto, TransferOwnershipDto } from './dto.js';
import { AdminJobDto, AdminRoomDetailDto, AdminRoomMemberDto, AdminRoomPageDto } from './responses.js';
import { RoomAdministration } from './room-administration.service.js';

/** The :code every route but the list has (AdminRoomGuard resolves it to the room). */
const RoomCode = ApiParam({ name: 'code', type: String, description: 'The 4-character room code (any case)', example: 'K7QX' });
const BAD_CODE = 'A malformed room code';
const NO_ROOM = 'No room has this code';

/**
 * Rooms for integrators (README "Administration"): metadata only. Nothing here adds a member,
 * grants a key or opens a message; removing, blocking and deleting only exclude.
 */
@AdminController(ADMIN_TAGS.rooms, AdminRoomGuard)
export class AdminRoomsController {
  constructor(private readonly rooms: RoomAdministration) {}

  @Get(ADMIN_PATHS.rooms)
  @AdminRoute('rooms:read', 'List rooms, most recently active first, a page at a time; search by code or name', 'Keyset pages: pass nextCursor back as cursor until it is null.')
  @ApiOkResponse({ type: AdminRoomPageDto, description: 'A page of rooms and the cursor of the next' })
  @BadInput('limit not a whole number from 1 to 200, a cursor this list did not give out, or an empty or over-long q')
  list(@Query() query: ListRoomsQueryDto): Promise<Page<AdminRoomSummary>> {
    return this.rooms.list(query);
  }

  @Get(ADMIN_PATHS.room)
  @AdminRoute('rooms:read', "A room's metadata: owner, members and waiting requests counted, limits, password set or not, history mode, key epoch, activity, messages and files counted")
  @RoomCode
  @ApiOkResponse({ type: AdminRoomDetailDto, description: 'The room' })
  @BadInput(BAD_CODE)
  @NotFound(NO_ROOM)
  detail(@TargetRoom() room: RoomRef): Promise<AdminRoomDetail> {
    return this.rooms.detail(room);
  }

  @Get(ADMIN_PATHS.roomMembers)
  @AdminRoute('rooms:read', "The room's members, longest-standing first")
  @RoomCode
  @ApiOkResponse({ type: [AdminRoomMemberDto], description: 'Its members' })
  @BadInput(BAD_CODE)
  @NotFound(NO_ROOM)
  members(@TargetRoom() room: RoomRef): Promise<AdminRoomMember[]> {
    return this.rooms.members(room);
  }

  @Delete(ADMIN_PATHS.roomMember)
  @HttpCode(204)
  @AdminRoute(
    'rooms:write',
    "Remove a member, as the owner's removal does: their sockets leave the room, the remaining members' browsers make a new room key, open invites are revoked. Removing the last member deletes the room",
  )
  @RoomCode
  @IdParam('userId', 'The member to remove')
  @ApiNoContentResponse({ description: 'Removed' })
  @BadInput(`${BAD_CODE}, or a userId that is not a UUID`)
  @NotFound(`${NO_ROOM}, or this person is not a member of it`)
  async removeMember(
    @TargetRoom() room: RoomRef,
    @UuidParam('userId', 'userId must be a user id (a UUID)') userId: string,
    @CurrentActor() actor: Actor,
  ): Promise<void> {
    await this.rooms.removeMember(room, userId, actor);
  }

  @Put(ADMIN_PATHS.roomJoins)
  @AdminRoute('rooms:write', 'Block or unblock new joins: while blocked, join requests, invite and password joins and admissions are refused with 409 (members stay)')
  @RoomCode
  @ApiOkResponse({ type: AdminRoomDetailDto, description: 'The room, with joinsBlocked as asked' })
  @BadInput(`${BAD_CODE}, or blocked missing or not true/false`)
  @NotFound(NO_ROOM)
  setJoinsBlocked(@TargetRoom() room: RoomRef, @Body() { blocked }: SetJoinsBlockedDto, @CurrentActor() actor: Actor): Promise<AdminRoomDetail> {
    return this.rooms.setJoinsBlocked(room, blocked, actor);
  }

  @Put(ADMIN_PATHS.roomOwner)
  @AdminRoute('rooms:write', 'Hand the room to one of its members; the old owner stays as a member')
  @RoomCode
  @ApiOkResponse({ type: AdminRoomDetailDto, description: 'The room, with its new owner' })
  @BadInput(`${BAD_CODE}, or userId missing or not a UUID`)
  @NotFound(NO_ROOM)
  @Conflict('userId is not a member of the room')
  transferOwnership(@TargetRoom() room: RoomRef, @Body() { userId }: TransferOwnershipDto, @CurrentActor() actor: Actor): Promise<AdminRoomDetail> {
    return this.rooms.transferOwnership(room, userId, actor);
  }

  @Delete(ADMIN_PATHS.room)
  @HttpCode(202)
  @AdminRoute(
    'rooms:write',
    'Delete the room with its messages, members and files, as a job: its members are told they were removed, then its files are deleted from storage. Poll the job (Location) until succeeded or failed. Asking again while it runs returns the same job',
  )
  @RoomCode
  @ApiAcceptedResponse({ type: AdminJobDto, description: 'The deletion job, queued (or the one already under way)', headers: { Location: { description: 'The job: /api/admin/v1/jobs/{jobId}', schema: { type: 'string' } } } })
  @BadInput(BAD_CODE)
  @NotFound(NO_ROOM)
  async delete(@TargetRoom() room: RoomRef, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response): Promise<AdminJob> {
    const job = await this.rooms.delete(room, actor);
    res.setHeader('Location', `/${ADMIN_API_PREFIX}/${ADMIN_PATHS.job.replace(':jobId', job.id)}`);
    return job;
  }
}

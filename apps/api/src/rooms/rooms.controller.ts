import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Put, UseGuards } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiBadRequestResponse,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiGoneResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { API_PATHS, type JoinResult, type PendingRoom, type RoomDetail, type RoomSummary } from '@conclave/contracts';
import { CurrentUserId } from '../auth/principal/decorators.js';
import { ApiRetryLaterResponse, ApiSession, ApiUuidParam } from '../docs/route-docs.js';
import { CreateRoomDto, JoinRoomDto, UpdateRoomDto } from './dto.js';
import { SetRoomPasswordDto } from './membership/dto.js';
import { JoinRequestsService } from './membership/join-requests.service.js';
import { RoomDetailService } from './membership/room-detail.service.js';
import { RoomPasswordService } from './membership/room-password.service.js';
import { RoomAccess, RoomAccessGuard } from './room-access.guard.js';
import { RoomCodePipe } from './room-code.pipe.js';
import { JoinedResultDto, PendingResultDto, PendingRoomDto, RoomDetailDto, RoomSummaryDto } from './response.dto.js';
import { ApiRoomCodeParam, BAD_CODE_DOC, NOT_IN_ROOM_DOC, TOO_MANY_PROBES } from './route-docs.js';
import { RoomsService } from './rooms.service.js';

@ApiTags('rooms')
@Controller(API_PATHS.rooms.prefix)
@ApiSession()
export class RoomsController {
  constructor(
    private readonly rooms: RoomsService,
    private readonly details: RoomDetailService,
    private readonly requests: JoinRequestsService,
    private readonly passwords: RoomPasswordService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a room (random 4-character code); the caller becomes its owner' })
  @ApiCreatedResponse({ type: RoomSummaryDto, description: "The new room. With withPassword, joins are refused until the owner's browser sets the password (PUT .../password)" })
  @ApiBadRequestResponse({ description: 'A missing or too long name, a history other than shared or joined, maxMembers out of 2..ROOM_MEMBERS_MAX' })
  @ApiConflictResponse({ description: 'The caller owns ROOMS_OWNED_MAX rooms or belongs to ROOMS_JOINED_MAX (the message names the limit)' })
  create(@Body() dto: CreateRoomDto, @CurrentUserId() userId: string): Promise<RoomSummary> {
    return this.rooms.create(userId, dto);
  }

  @Get()
  @ApiOperation({ summary: 'My rooms, with unread counts (the dashboard)' })
  @ApiOkResponse({ type: [RoomSummaryDto], description: 'The rooms the caller is a member of (not those they wait to join)' })
  list(@CurrentUserId() userId: string): Promise<RoomSummary[]> {
    return this.rooms.list(userId);
  }

  // Before ':code', which would take "pending" for a (malformed) room code.
  @Get(API_PATHS.rooms.pending)
  @ApiOperation({ summary: 'The rooms the caller asked to join and is not admitted to yet' })
  @ApiOkResponse({ type: [PendingRoomDto], description: 'Oldest request first' })
  pending(@CurrentUserId() userId: string): Promise<PendingRoom[]> {
    return this.requests.pendingRooms(userId);
  }

  @Get(API_PATHS.rooms.room)
  @UseGuards(RoomAccessGuard)
  @ApiOperation({ summary: 'A room with its members and their public keys, its genesis, every admission and the waiting join requests (members only)' })
  @ApiRoomCodeParam()
  @ApiOkResponse({ type: RoomDetailDto })
  @ApiBadRequestResponse({ description: BAD_CODE_DOC })
  @ApiNotFoundResponse({ description: NOT_IN_ROOM_DOC })
  @ApiRetryLaterResponse(TOO_MANY_PROBES)
  detail(@Param('code', RoomCodePipe) code: string, @CurrentUserId() userId: string): Promise<RoomDetail> {
    return this.details.detail(code, userId);
  }

  @Patch(API_PATHS.rooms.room)
  @UseGuards(RoomAccessGuard)
  @RoomAccess('owner', 'Only the room owner can change its settings')
  @ApiOperation({ summary: "Rename the room or change its member limit (owner only); members are told live ('room:updated'). The password has its own route" })
  @ApiRoomCodeParam()
  @ApiOkResponse({ type: RoomSummaryDto, description: "The room as the owner now sees it" })
  @ApiBadRequestResponse({ description: `An empty body, an empty or too long name, maxMembers out of 2..ROOM_MEMBERS_MAX; ${BAD_CODE_DOC}` })
  @ApiForbiddenResponse({ description: 'A member who is not the owner' })
  @ApiNotFoundResponse({ description: NOT_IN_ROOM_DOC })
  @ApiConflictResponse({ description: "maxMembers is below the room's current number of members (the message says how many); nothing changed" })
  @ApiRetryLaterResponse(TOO_MANY_PROBES)
  update(@Param('code', RoomCodePipe) code: string, @Body() dto: UpdateRoomDto, @CurrentUserId() userId: string): Promise<RoomSummary> {
    return this.rooms.updateSettings(code, userId, dto);
  }

  @Post(API_PATHS.rooms.join)
  @HttpCode(200)
  @UseGuards(RoomAccessGuard)
  @RoomAccess('joiners')
  @ApiOperation({
    summary: "Ask to join by code: alone (a member approves), with the password's joinKey and proof, or with an invite's id and proof (a member's browser checks the proof)",
  })
  @ApiRoomCodeParam()
  @ApiExtraModels(JoinedResultDto, PendingResultDto)
  @ApiOkResponse({
    description: "{status: 'member'} for a member; otherwise {status: 'pending'}: wait for a member's browser to admit (admission:resolved)",
    schema: {
      oneOf: [{ $ref: getSchemaPath(JoinedResultDto) }, { $ref: getSchemaPath(PendingResultDto) }],
      discriminator: { propertyName: 'status', mapping: { member: getSchemaPath(JoinedResultDto), pending: getSchemaPath(PendingResultDto) } },
    },
  })
  @ApiBadRequestResponse({ description: `A malformed joinKey, proof or invite; proof without joinKey; an invite and a joinKey together; ${BAD_CODE_DOC}` })
  @ApiNotFoundResponse({
    description:
      "No room with this code, a password room without the right joinKey (or whose password its owner has not set), or an invite this room does not have: one answer for all, so a code does not reveal a password room",
  })
  @ApiGoneResponse({ description: 'The invite has expired, was revoked or is used up (the message says which)' })
  @ApiConflictResponse({ description: 'The room is full, or the caller belongs to (or waits to join) ROOMS_JOINED_MAX rooms' })
  @ApiRetryLaterResponse(`${TOO_MANY_PROBES} (every join attempt of a non-member is one)`)
  join(@Param('code', RoomCodePipe) code: string, @Body() dto: JoinRoomDto, @CurrentUserId() userId: string): Promise<JoinResult> {
    return this.requests.request(code, userId, dto);
  }

  @Post(API_PATHS.rooms.cancelJoin)
  @HttpCode(204)
  @UseGuards(RoomAccessGuard)
  @RoomAccess('joiners')
  @ApiOperation({ summary: "Withdraw one's own waiting join request (members are told it is resolved: declined)" })
  @ApiRoomCodeParam()
  @ApiNoContentResponse()
  @ApiBadRequestResponse({ description: BAD_CODE_DOC })
  @ApiNotFoundResponse({ description: 'The caller has no waiting request for this code: the same answer whether or not a room has it' })
  @ApiRetryLaterResponse(TOO_MANY_PROBES)
  cancelJoin(@Param('code', RoomCodePipe) code: string, @CurrentUserId() userId: string): Promise<void> {
    return this.requests.cancel(code, userId);
  }

  @Put(API_PATHS.rooms.password)
  @HttpCode(204)
  @UseGuards(RoomAccessGuard)
  @RoomAccess('owner', 'Only the room owner can set its password')
  @ApiOperation({ summary: "Set or change the room password (owner only), as the joinKey and the sealed admitKey the owner's browser derives: the password never reaches the server" })
  @ApiRoomCodeParam()
  @ApiNoContentResponse()
  @ApiBadRequestResponse({ description: `A malformed joinKey or sealed verifier, or sealed.epoch past the room's current epoch; ${BAD_CODE_DOC}` })
  @ApiForbiddenResponse({ description: 'A member who is not the owner' })
  @ApiNotFoundResponse({ description: NOT_IN_ROOM_DOC })
  @ApiRetryLaterResponse(TOO_MANY_PROBES)
  setPassword(@Param('code', RoomCodePipe) code: string, @Body() dto: SetRoomPasswordDto, @CurrentUserId() userId: string): Promise<void> {
    return this.passwords.set(code, userId, dto);
  }

  @Delete(API_PATHS.rooms.password)
  @HttpCode(204)
  @UseGuards(RoomAccessGuard)
  @RoomAccess('owner', 'Only the room owner can remove its password')
  @ApiOperation({ summary: "Remove the room password (owner only): a code alone asks for a member's approval again; invites still work" })
  @ApiRoomCodeParam()
  @ApiNoContentResponse()
  @ApiBadRequestResponse({ description: BAD_CODE_DOC })
  @ApiForbiddenResponse({ description: 'A member who is not the owner' })
  @ApiNotFoundResponse({ description: NOT_IN_ROOM_DOC })
  @ApiRetryLaterResponse(TOO_MANY_PROBES)
  removePassword(@Param('code', RoomCodePipe) code: string, @CurrentUserId() userId: string): Promise<void> {
    return this.passwords.remove(code, userId);
  }

  @Post(API_PATHS.rooms.leave)
  @HttpCode(204)
  @UseGuards(RoomAccessGuard)
  @ApiOperation({ summary: 'Leave the room (an owner hands it to the longest-standing member; the last one out deletes it)' })
  @ApiRoomCodeParam()
  @ApiNoContentResponse()
  @ApiBadRequestResponse({ description: BAD_CODE_DOC })
  @ApiNotFoundResponse({ description: NOT_IN_ROOM_DOC })
  @ApiRetryLaterResponse(TOO_MANY_PROBES)
  leave(@Param('code', RoomCodePipe) code: string, @CurrentUserId() userId: string): Promise<void> {
    return this.rooms.leave(code, userId);
  }

  @Post(API_PATHS.rooms.removeMember)
  @HttpCode(204)
  @UseGuards(RoomAccessGuard)
  @RoomAccess('owner', 'Only the room owner can remove members')
  @ApiOperation({ summary: 'Remove a member (owner only)' })
  @ApiRoomCodeParam()
  @ApiUuidParam('userId', 'The member to remove')
  @ApiNoContentResponse()
  @ApiBadRequestResponse({ description: `The user id is not a UUID; ${BAD_CODE_DOC}` })
  @ApiForbiddenResponse({ description: 'A member who is not the owner' })
  @ApiNotFoundResponse({ description: `${NOT_IN_ROOM_DOC}; or the person is not a member (to the owner)` })
  @ApiRetryLaterResponse(TOO_MANY_PROBES)
  remove(
    @Param('code', RoomCodePipe) code: string,
    @Param('userId', new ParseUUIDPipe()) memberId: string,
    @CurrentUserId() userId: string,
  ): Promise<void> {
    return this.rooms.removeMember(code, memberId, userId);
  }
}

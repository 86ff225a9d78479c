import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { RoomDetail, RoomSummary } from '@conclave/contracts';
import { CurrentUserId, SessionGuard } from '../auth/session/session.guard.js';
import { CreateRoomDto, JoinRoomDto } from './dto.js';
import { RoomAccess, RoomAccessGuard } from './room-access.guard.js';
import { RoomCodePipe } from './room-code.pipe.js';
import { ROOM_PROBES_PER_USER_PER_MINUTE } from './room-probes.js';
import { RoomsService } from './rooms.service.js';

const NOT_IN_ROOM_DOC = 'No room with this code among yours: the same answer whether or not a room has this code';
const TOO_MANY_PROBES =
  `More than ${ROOM_PROBES_PER_USER_PER_MINUTE} look-ups a minute of codes the caller is not in (or ROOM_PROBES_PER_ADDRESS_PER_MINUTE ` +
  'from the address), with Retry-After; a member is never counted for their own rooms';

@ApiTags('rooms')
@Controller('api/rooms')
@UseGuards(SessionGuard)
export class RoomsController {
  constructor(private readonly rooms: RoomsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a room (random 4-character code); the caller becomes its owner' })
  @ApiCreatedResponse()
  @ApiConflictResponse({ description: 'The caller owns ROOMS_OWNED_MAX rooms or belongs to ROOMS_JOINED_MAX (the message names the limit)' })
  create(@Body() dto: CreateRoomDto, @CurrentUserId() userId: string): Promise<RoomSummary> {
    return this.rooms.create(userId, dto);
  }

  @Get()
  @ApiOperation({ summary: 'My rooms, with unread counts (the dashboard)' })
  @ApiOkResponse()
  list(@CurrentUserId() userId: string): Promise<RoomSummary[]> {
    return this.rooms.list(userId);
  }

  @Get(':code')
  @UseGuards(RoomAccessGuard)
  @ApiOperation({ summary: 'A room with its members and their public keys (members only)' })
  @ApiOkResponse()
  @ApiNotFoundResponse({ description: NOT_IN_ROOM_DOC })
  @ApiTooManyRequestsResponse({ description: TOO_MANY_PROBES })
  detail(@Param('code', RoomCodePipe) code: string, @CurrentUserId() userId: string): Promise<RoomDetail> {
    return this.rooms.detail(code, userId);
  }

  @Post(':code/join')
  @HttpCode(200)
  @UseGuards(RoomAccessGuard)
  @RoomAccess('joiners')
  @ApiOperation({ summary: 'Join by code (and password when the room has one)' })
  @ApiOkResponse()
  @ApiNotFoundResponse({
    description: 'No room with this code, or it has a password that was not given or is wrong: one answer for both, so a code does not reveal a password room',
  })
  @ApiConflictResponse({ description: 'The room is full, or the caller belongs to ROOMS_JOINED_MAX rooms' })
  @ApiTooManyRequestsResponse({ description: `${TOO_MANY_PROBES} (every join attempt of a non-member is one)` })
  join(@Param('code', RoomCodePipe) code: string, @Body() dto: JoinRoomDto, @CurrentUserId() userId: string): Promise<RoomSummary> {
    return this.rooms.join(code, userId, dto.password);
  }

  @Post(':code/leave')
  @HttpCode(204)
  @UseGuards(RoomAccessGuard)
  @ApiOperation({ summary: 'Leave the room (an owner hands it to the longest-standing member; the last one out deletes it)' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: NOT_IN_ROOM_DOC })
  @ApiTooManyRequestsResponse({ description: TOO_MANY_PROBES })
  leave(@Param('code', RoomCodePipe) code: string, @CurrentUserId() userId: string): Promise<void> {
    return this.rooms.leave(code, userId);
  }

  @Post(':code/members/:userId/remove')
  @HttpCode(204)
  @UseGuards(RoomAccessGuard)
  @ApiOperation({ summary: 'Remove a member (owner only)' })
  @ApiNoContentResponse()
  @ApiForbiddenResponse({ description: 'A member who is not the owner' })
  @ApiNotFoundResponse({ description: `${NOT_IN_ROOM_DOC}; or the person is not a member (to the owner)` })
  @ApiTooManyRequestsResponse({ description: TOO_MANY_PROBES })
  remove(
    @Param('code', RoomCodePipe) code: string,
    @Param('userId', new ParseUUIDPipe()) memberId: string,
    @CurrentUserId() userId: string,
  ): Promise<void> {
    return this.rooms.removeMember(code, userId, memberId);
  }
}

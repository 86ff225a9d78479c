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
import { Throttle } from '@nestjs/throttler';
import type { RoomDetail, RoomSummary } from '@conclave/contracts';
import { CurrentUserId, SessionGuard } from '../auth/session/session.guard.js';
import { CreateRoomDto, JoinRoomDto } from './dto.js';
import { JoinThrottlerGuard, JOINS_PER_MINUTE } from './join-throttler.guard.js';
import { RoomCodePipe } from './room-code.pipe.js';
import { RoomsService } from './rooms.service.js';

@ApiTags('rooms')
@Controller('api/rooms')
@UseGuards(SessionGuard)
export class RoomsController {
  constructor(private readonly rooms: RoomsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a room (random 4-character code); the caller becomes its owner' })
  @ApiCreatedResponse()
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
  @ApiOperation({ summary: 'A room with its members and their public keys (members only)' })
  @ApiOkResponse()
  @ApiForbiddenResponse({ description: 'Not a member' })
  @ApiNotFoundResponse({ description: 'No room with this code' })
  detail(@Param('code', RoomCodePipe) code: string, @CurrentUserId() userId: string): Promise<RoomDetail> {
    return this.rooms.detail(code, userId);
  }

  @Post(':code/join')
  @HttpCode(200)
  @UseGuards(JoinThrottlerGuard)
  @Throttle({ default: { limit: JOINS_PER_MINUTE, ttl: 60_000 } })
  @ApiTooManyRequestsResponse({ description: `More than ${JOINS_PER_MINUTE} join attempts in a minute` })
  @ApiOperation({ summary: 'Join by code (and password when the room has one)' })
  @ApiOkResponse()
  @ApiForbiddenResponse({ description: 'Wrong or missing room password' })
  @ApiConflictResponse({ description: 'The room is full' })
  @ApiNotFoundResponse({ description: 'No room with this code' })
  join(@Param('code', RoomCodePipe) code: string, @Body() dto: JoinRoomDto, @CurrentUserId() userId: string): Promise<RoomSummary> {
    return this.rooms.join(code, userId, dto.password);
  }

  @Post(':code/leave')
  @HttpCode(204)
  @ApiOperation({ summary: 'Leave the room (an owner hands it to the longest-standing member; the last one out deletes it)' })
  @ApiNoContentResponse()
  leave(@Param('code', RoomCodePipe) code: string, @CurrentUserId() userId: string): Promise<void> {
    return this.rooms.leave(code, userId);
  }

  @Post(':code/members/:userId/remove')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a member (owner only)' })
  @ApiNoContentResponse()
  @ApiForbiddenResponse({ description: 'Not the owner' })
  remove(
    @Param('code', RoomCodePipe) code: string,
    @Param('userId', new ParseUUIDPipe()) memberId: string,
    @CurrentUserId() userId: string,
  ): Promise<void> {
    return this.rooms.removeMember(code, userId, memberId);
  }
}

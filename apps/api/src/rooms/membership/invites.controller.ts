import { BadRequestException, Body, Controller, Get, HttpCode, Injectable, Param, type PipeTransform, Post, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { API_PATHS, INVITE_ID_PATTERN, INVITES_PER_ROOM_MAX, type InviteSummary } from '@conclave/contracts';
import { CurrentUserId } from '../../auth/principal/decorators.js';
import { ApiRetryLaterResponse, ApiSession } from '../../docs/route-docs.js';
import { RoomAccessGuard } from '../room-access.guard.js';
import { RoomCodePipe } from '../room-code.pipe.js';
import { InviteSummaryDto } from '../response.dto.js';
import { ApiRoomCodeParam, BAD_CODE_DOC, NOT_IN_ROOM_DOC, TOO_MANY_PROBES } from '../route-docs.js';
import { CreateInviteDto } from './dto.js';
import { InvitesService } from './invites.service.js';


/** An invite id from the URL. */
@Injectable()
class InviteIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!INVITE_ID_PATTERN.test(String(value))) throw new BadRequestException('An invite id is 22 characters of base64url');
    return value;
  }
}

/** Invite links of a room (members only): create, list, revoke. Joining with one is POST /api/rooms/{code}/join. */
@ApiTags('rooms')
@Controller(API_PATHS.invites.prefix)
@UseGuards(RoomAccessGuard)
@ApiSession()
@ApiRoomCodeParam()
export class InvitesController {
  constructor(private readonly invites: InvitesService) {}

  @Post()
  @ApiOperation({ summary: "Create an invite: its id and its verifier sealed under an epoch key (the link's secret never reaches the server)" })
  @ApiCreatedResponse({ type: InviteSummaryDto })
  @ApiBadRequestResponse({
    description: `A malformed id or sealed verifier, an expiry not in the next INVITE_MAX_DAYS days, maxUses out of 1..INVITE_MAX_USES, sealed.epoch past the current epoch; ${BAD_CODE_DOC}`,
  })
  @ApiConflictResponse({ description: `The room has ${INVITES_PER_ROOM_MAX} open invites, or already one with this id` })
  @ApiNotFoundResponse({ description: NOT_IN_ROOM_DOC })
  @ApiRetryLaterResponse(TOO_MANY_PROBES)
  create(@Param('code', RoomCodePipe) code: string, @Body() dto: CreateInviteDto, @CurrentUserId() userId: string): Promise<InviteSummary> {
    return this.invites.create(code, userId, dto);
  }

  @Get()
  @ApiOperation({ summary: "The room's invites, newest first, with their use counts" })
  @ApiOkResponse({ type: [InviteSummaryDto] })
  @ApiBadRequestResponse({ description: BAD_CODE_DOC })
  @ApiNotFoundResponse({ description: NOT_IN_ROOM_DOC })
  @ApiRetryLaterResponse(TOO_MANY_PROBES)
  list(@Param('code', RoomCodePipe) code: string, @CurrentUserId() userId: string): Promise<InviteSummary[]> {
    return this.invites.list(code, userId);
  }

  @Post(API_PATHS.invites.revoke)
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke an invite (its creator or the room's owner): it admits nobody from now on" })
  @ApiParam({ name: 'inviteId', description: 'The invite id: 22 characters of base64url', schema: { type: 'string', pattern: INVITE_ID_PATTERN.source } })
  @ApiNoContentResponse()
  @ApiBadRequestResponse({ description: `A malformed invite id; ${BAD_CODE_DOC}` })
  @ApiForbiddenResponse({ description: "A member who is neither the invite's creator nor the owner" })
  @ApiNotFoundResponse({ description: `${NOT_IN_ROOM_DOC}; or the room has no invite with this id` })
  @ApiRetryLaterResponse(TOO_MANY_PROBES)
  revoke(@Param('code', RoomCodePipe) code: string, @Param('inviteId', InviteIdPipe) inviteId: string, @CurrentUserId() userId: string): Promise<void> {
    return this.invites.revoke(code, userId, inviteId);
  }
}

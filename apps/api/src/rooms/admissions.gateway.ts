import { Logger, type OnModuleDestroy, UseFilters, UseGuards, UsePipes, ValidationPipe } from '@nestjs/common';
import { MessageBody, type OnGatewayConnection, type OnGatewayInit, SubscribeMessage, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import { type AckOf, CHAT_EVENTS } from '@conclave/contracts';
import { Subscription } from 'rxjs';
import { logFailure } from '../database/background-work.js';
import type { ConclaveServer, ConclaveSocket } from '../realtime/conclave-socket.js';
import { membersChannel, userChannel } from '../realtime/presence.js';
import { SocketErrorFilter } from '../realtime/socket-errors.js';
import { SocketSessionGuard, SocketUserId } from '../realtime/socket-session.guard.js';
import { AdmissionsService } from './membership/admissions.service.js';
import { DeclineRequestDto, GenesisRequestDto, GrantRequestDto } from './membership/dto.js';
import { JoinRequestsService } from './membership/join-requests.service.js';
import { MembershipEvents } from './membership/membership-events.js';
import { RoomMemberGuard } from './room-member.guard.js';
import { RoomsService } from './rooms.service.js';

/**
 * Admissions over the socket (docs/protocol.md, "Membership"): the owner's genesis, members granting
 * or declining join requests with signed admissions, and the requests passed on to the rooms' members
 * (when they arrive, and to a member's socket when it connects). Every event passes the session
 * guard, membership of the room it names (RoomMemberGuard) and payload validation; signatures are
 * verified by AdmissionsService; a refusal comes back as 'chat:error' with its code.
 */
@WebSocketGateway()
@UseFilters(SocketErrorFilter)
@UseGuards(SocketSessionGuard, RoomMemberGuard)
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class AdmissionsGateway implements OnGatewayInit, OnGatewayConnection, OnModuleDestroy {
  @WebSocketServer() private server!: ConclaveServer;
  private readonly log = new Logger('AdmissionsGateway');
  private readonly subscriptions = new Subscription();

  constructor(
    private readonly admissions: AdmissionsService,
    private readonly requests: JoinRequestsService,
    private readonly rooms: RoomsService,
    private readonly events: MembershipEvents,
  ) {}

  afterInit(): void {
    this.subscriptions.add(this.events.requested.subscribe((request) => this.server.to(membersChannel(request.roomId)).emit(CHAT_EVENTS.admissionRequested, request)));
    // To the joiner's own sockets as well: they are not in the members' channel (yet).
    this.subscriptions.add(this.events.resolved.subscribe((notice) => this.server.to([membersChannel(notice.roomId), userChannel(notice.userId)]).emit(CHAT_EVENTS.admissionResolved, notice)));
  }

  onModuleDestroy(): void {
    this.subscriptions.unsubscribe();
  }

  /** The requests waiting in the member's rooms, as if they had just arrived (Nest drops what this returns: failures are logged here). */
  handleConnection(socket: ConclaveSocket): Promise<void> {
    return this.offerWaitingRequests(socket).catch(logFailure(this.log, 'waiting join requests'));
  }

  @SubscribeMessage(CHAT_EVENTS.genesis)
  async genesis(@SocketUserId() userId: string, @MessageBody() request: GenesisRequestDto): Promise<AckOf<typeof CHAT_EVENTS.genesis>> {
    return { ok: true, result: { admitted: await this.admissions.genesis(userId, request) } };
  }

  @SubscribeMessage(CHAT_EVENTS.admissionGrant)
  async grant(@SocketUserId() userId: string, @MessageBody() request: GrantRequestDto): Promise<AckOf<typeof CHAT_EVENTS.admissionGrant>> {
    await this.admissions.grant(userId, request);
    return { ok: true, result: { userId: request.admission.memberId } };
  }

  @SubscribeMessage(CHAT_EVENTS.admissionDecline)
  async decline(@SocketUserId() userId: string, @MessageBody() request: DeclineRequestDto): Promise<AckOf<typeof CHAT_EVENTS.admissionDecline>> {
    await this.admissions.decline(userId, request);
    return { ok: true, result: { userId: request.userId } };
  }

  private async offerWaitingRequests(socket: ConclaveSocket): Promise<void> {
    if (!socket.data.userId) return;
    for (const request of await this.requests.requestsIn(await this.rooms.roomIdsOf(socket.data.userId))) socket.emit(CHAT_EVENTS.admissionRequested, request);
  }
}

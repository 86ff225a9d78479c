import { Logger, type OnModuleDestroy, UseFilters, UsePipes, ValidationPipe } from '@nestjs/common';
import { ConnectedSocket, MessageBody, type OnGatewayConnection, type OnGatewayInit, SubscribeMessage, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import { type Ack, CHAT_EVENTS, type ClientToServerEvents, type ServerToClientEvents } from '@conclave/contracts';
import { Subscription } from 'rxjs';
import type { Server, Socket } from 'socket.io';
import { logFailure } from '../database/background-work.js';
import { membersChannel, type SocketUser, userChannel } from '../messages/presence.js';
import { ChatError, SocketErrorFilter } from '../messages/socket-errors.js';
import { AdmissionRefusal } from './membership/admission-refusal.js';
import { AdmissionsService } from './membership/admissions.service.js';
import { DeclineRequestDto, GenesisRequestDto, GrantRequestDto } from './membership/dto.js';
import { JoinRequestsService } from './membership/join-requests.service.js';
import { MembershipEvents } from './membership/membership-events.js';
import { RoomsService } from './rooms.service.js';

type AdmissionSocket = Socket<ClientToServerEvents, ServerToClientEvents, never, SocketUser>;

/**
 * Admissions over the socket (docs/protocol.md, "Membership"): the owner's genesis, members granting
 * or declining join requests with signed admissions, and the requests passed on to the rooms' members
 * (when they arrive, and to a member's socket when it connects). Signatures are verified by
 * AdmissionsService; a refusal comes back as 'chat:error' with its code.
 */
@WebSocketGateway()
@UseFilters(SocketErrorFilter)
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class AdmissionsGateway implements OnGatewayInit, OnGatewayConnection, OnModuleDestroy {
  @WebSocketServer() private server!: Server<ClientToServerEvents, ServerToClientEvents, never, SocketUser>;
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
  handleConnection(socket: AdmissionSocket): Promise<void> {
    return this.offerWaitingRequests(socket).catch(logFailure(this.log, 'waiting join requests'));
  }

  @SubscribeMessage(CHAT_EVENTS.genesis)
  async genesis(@ConnectedSocket() socket: AdmissionSocket, @MessageBody() request: GenesisRequestDto): Promise<Ack<{ admitted: string[] }>> {
    return { ok: true, result: { admitted: await refusalToChatError(this.admissions.genesis(socket.data.userId, request)) } };
  }

  @SubscribeMessage(CHAT_EVENTS.admissionGrant)
  async grant(@ConnectedSocket() socket: AdmissionSocket, @MessageBody() request: GrantRequestDto): Promise<Ack<{ userId: string }>> {
    await refusalToChatError(this.admissions.grant(socket.data.userId, request));
    return { ok: true, result: { userId: request.admission.memberId } };
  }

  @SubscribeMessage(CHAT_EVENTS.admissionDecline)
  async decline(@ConnectedSocket() socket: AdmissionSocket, @MessageBody() request: DeclineRequestDto): Promise<Ack<{ userId: string }>> {
    await refusalToChatError(this.admissions.decline(socket.data.userId, request));
    return { ok: true, result: { userId: request.userId } };
  }

  private async offerWaitingRequests(socket: AdmissionSocket): Promise<void> {
    if (!socket.data.userId) return;
    for (const request of await this.requests.requestsIn(await this.rooms.roomIdsOf(socket.data.userId))) socket.emit(CHAT_EVENTS.admissionRequested, request);
  }
}

/** A refused genesis, admission or decline, as the coded socket error the client sees. */
async function refusalToChatError<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof AdmissionRefusal) throw new ChatError(err.code, err.message);
    throw err;
  }
}

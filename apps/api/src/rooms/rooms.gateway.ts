import { Logger, type OnModuleDestroy, UseFilters, UseGuards, UsePipes, ValidationPipe } from '@nestjs/common';
import { MessageBody, type OnGatewayConnection, type OnGatewayInit, SubscribeMessage, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import { type AckOf, CHAT_EVENTS } from '@conclave/contracts';
import type { Subscription } from 'rxjs';
import { UsersService } from '../auth/users/users.service.js';
import { logFailure } from '../database/background-work.js';
import type { ConclaveServer, ConclaveSocket } from '../realtime/conclave-socket.js';
import { membersChannel, userChannel } from '../realtime/presence.js';
import { connectionFailed, SocketErrorFilter } from '../realtime/socket-errors.js';
import { SocketSessionGuard, SocketUserId } from '../realtime/socket-session.guard.js';
import { KeysService } from './keys.service.js';
import { KeyRequestDto, KeyShareDto, NewEpochDto, RoomIdDto } from './keys.dto.js';
import { type MembershipChange, RoomEvents } from './room-events.js';
import { RoomMemberGuard } from './room-member.guard.js';
import { RoomsService } from './rooms.service.js';

/**
 * The rooms' key events over Socket.IO (docs/protocol.md): epochs, key requests, boxes. They name a
 * room by id and need membership, not room:enter (RoomMemberGuard). The handshake is authenticated
 * once, by ChatGateway, for the whole server; here every event passes the session guard and payload
 * validation, and a refusal comes back as 'chat:error' with a code. On connecting a member is handed
 * the key work waiting for them; when a member leaves, the others are asked for the next epoch.
 */
@WebSocketGateway()
@UseFilters(SocketErrorFilter)
@UseGuards(SocketSessionGuard, RoomMemberGuard)
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class RoomKeysGateway implements OnGatewayInit, OnGatewayConnection, OnModuleDestroy {
  @WebSocketServer() private server!: ConclaveServer;
  private readonly log = new Logger('RoomKeysGateway');
  private membership?: Subscription;

  constructor(
    private readonly rooms: RoomsService,
    private readonly keys: KeysService,
    private readonly users: UsersService,
    private readonly roomEvents: RoomEvents,
  ) {}

  afterInit(): void {
    this.membership = this.roomEvents.membership.subscribe((change) => void this.rotateAfter(change).catch(logFailure(this.log, 'key rotation')));
  }

  onModuleDestroy(): void {
    this.membership?.unsubscribe();
  }

  // Nest drops what handleConnection returns: its failure is dealt with here.
  handleConnection(socket: ConclaveSocket): Promise<void> {
    return this.offerKeyWork(socket).catch(connectionFailed(socket, this.log));
  }

  @SubscribeMessage(CHAT_EVENTS.newEpoch)
  async newEpoch(@SocketUserId() userId: string, @MessageBody() { roomId, epoch, boxes, announcement }: NewEpochDto): Promise<AckOf<typeof CHAT_EVENTS.newEpoch>> {
    await this.keys.newEpoch(userId, roomId, epoch, boxes, announcement);
    this.server.to(membersChannel(roomId)).emit(CHAT_EVENTS.epoch, { roomId, code: await this.rooms.codeOf(roomId), epoch });
    return { ok: true, result: { epoch } };
  }

  @SubscribeMessage(CHAT_EVENTS.keyRequest)
  async keyRequest(@SocketUserId() userId: string, @MessageBody() { roomId, epochs: unusable }: KeyRequestDto): Promise<AckOf<typeof CHAT_EVENTS.keyRequest>> {
    const epochs = await this.keys.request(userId, roomId, unusable);
    if (epochs.length) {
      const [user] = await this.users.findByIds([userId]);
      const ask = { roomId, code: await this.rooms.codeOf(roomId), requesterId: userId, publicKeys: { enc: user!.encPublicKey, sig: user!.sigPublicKey }, epochs };
      // Online members answer; if none is online the request waits in the database for the next one.
      this.server.to(membersChannel(roomId)).except(userChannel(userId)).emit(CHAT_EVENTS.keyRequested, ask);
    }
    return { ok: true, result: { waiting: epochs.length > 0, epochs } };
  }

  @SubscribeMessage(CHAT_EVENTS.keyShare)
  async keyShare(@SocketUserId() userId: string, @MessageBody() { roomId, boxes }: KeyShareDto): Promise<AckOf<typeof CHAT_EVENTS.keyShare>> {
    const { stored, delivered } = await this.keys.share(userId, roomId, boxes);
    const code = await this.rooms.codeOf(roomId);
    for (const [recipientId, epochs] of delivered) this.server.to(userChannel(recipientId)).emit(CHAT_EVENTS.keyAvailable, { roomId, code, epochs });
    return { ok: true, result: { stored } };
  }

  @SubscribeMessage(CHAT_EVENTS.keyBoxes)
  async keyBoxes(@SocketUserId() userId: string, @MessageBody() { roomId }: RoomIdDto): Promise<AckOf<typeof CHAT_EVENTS.keyBoxes>> {
    return { ok: true, result: await this.keys.keyMaterial(userId, roomId) };
  }

  /** Key work waiting for this member: requests they can serve, rooms that need a new epoch. */
  private async offerKeyWork(socket: ConclaveSocket): Promise<void> {
    const roomIds = await this.rooms.roomIdsOf(socket.data.userId);
    for (const ask of await this.keys.pendingFor(socket.data.userId, roomIds)) socket.emit(CHAT_EVENTS.keyRequested, ask);
    for (const rotation of await this.keys.rotations(roomIds)) socket.emit(CHAT_EVENTS.rotate, rotation);
  }

  /** A member left or was removed: whoever is online answers first and makes the next epoch for those who remain. */
  private async rotateAfter(change: MembershipChange): Promise<void> {
    if (change.change === 'joined') return;
    const rotation = await this.keys.rotation(change.roomId);
    if (rotation) this.server.to(membersChannel(change.roomId)).except(userChannel(change.userId)).emit(CHAT_EVENTS.rotate, rotation);
  }
}

import type { OnModuleDestroy } from '@nestjs/common';
import { type OnGatewayInit, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import { CHAT_EVENTS } from '@conclave/contracts';
import type { Subscription } from 'rxjs';
import type { ConclaveServer } from '../realtime/conclave-socket.js';
import { membersChannel } from '../realtime/presence.js';
import { RoomEvents } from './room-events.js';

/**
 * 'room:updated' (docs/protocol.md §11.4): when the owner renames a room, changes its member limit or
 * sets or removes its password, every member's sockets (on any instance) learn the settings as they are now.
 * It listens to nothing a client sends.
 */
@WebSocketGateway()
export class RoomUpdatesGateway implements OnGatewayInit, OnModuleDestroy {
  @WebSocketServer() private server!: ConclaveServer;
  private updates?: Subscription;

  constructor(private readonly roomEvents: RoomEvents) {}

  afterInit(): void {
    this.updates = this.roomEvents.updated.subscribe((update) => this.server.to(membersChannel(update.roomId)).emit(CHAT_EVENTS.roomUpdated, update));
  }

  onModuleDestroy(): void {
    this.updates?.unsubscribe();
  }
}

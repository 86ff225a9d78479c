import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import type { ConclaveSocket } from '../realtime/conclave-socket.js';
import { NotInRoomException } from './not-in-room.js';
import { RoomsService } from './rooms.service.js';

/**
 * Socket events that name a room by id and need membership but not room:enter (the key events):
 * anyone else gets 'no-such-room', the same for a room that does not exist. A payload without a
 * well-formed roomId passes here, and the validation pipe refuses it.
 */
@Injectable()
export class RoomMemberGuard implements CanActivate {
  constructor(private readonly rooms: RoomsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { roomId } = (context.switchToWs().getData() ?? {}) as { roomId?: unknown };
    if (typeof roomId !== 'string' || !isUUID(roomId)) return true;
    if (await this.rooms.isMember(roomId, context.switchToWs().getClient<ConclaveSocket>().data.userId)) return true;
    throw new NotInRoomException();
  }
}

import { type CanActivate, createParamDecorator, type ExecutionContext, Injectable } from '@nestjs/common';
import { ROOM_CODE_PATTERN } from '@conclave/contracts';
import { isUUID } from 'class-validator';
import type { ConclaveSocket } from '../realtime/conclave-socket.js';
import { roomChannel } from '../realtime/presence.js';
import { ChatError } from '../realtime/socket-errors.js';

/**
 * Events of a room's live channel (message:send, message:history, room:typing, …) need room:enter
 * first: the payload's room, named by `roomId` or by `code`, must be one this socket entered and is
 * still in (a removed member's sockets leave the channel at once). Membership was checked when it
 * entered. A payload that names no well-formed room passes here, and the validation pipe refuses it.
 */
@Injectable()
export class EnteredRoomGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    enteredRoom(context);
    return true;
  }
}

/** The id of the entered room the event's payload names (use behind EnteredRoomGuard). */
export const EnteredRoom = createParamDecorator((_data: unknown, context: ExecutionContext): string => enteredRoom(context)!);

/** The room id, undefined for a payload that names no room, ChatError 'not-entered' for one the socket is not in. */
function enteredRoom(context: ExecutionContext): string | undefined {
  const socket = context.switchToWs().getClient<ConclaveSocket>();
  const payload: unknown = context.switchToWs().getData();
  const data = (typeof payload === 'object' && payload !== null ? payload : {}) as { roomId?: unknown; code?: unknown };
  const inChannel = (roomId: string | undefined): roomId is string => roomId !== undefined && socket.rooms.has(roomChannel(roomId));
  if ('roomId' in data) {
    const { roomId } = data;
    if (typeof roomId !== 'string' || !isUUID(roomId)) return undefined;
    if (!Object.values(socket.data.entered).includes(roomId) || !inChannel(roomId)) throw new ChatError('not-entered', 'Enter the room first');
    return roomId;
  }
  // As RoomRefDto normalises it.
  const code = typeof data.code === 'string' ? data.code.trim().toUpperCase() : '';
  if (!ROOM_CODE_PATTERN.test(code)) return undefined;
  const roomId = socket.data.entered[code];
  if (!inChannel(roomId)) throw new ChatError('not-entered', `Enter room ${code} first`);
  return roomId;
}

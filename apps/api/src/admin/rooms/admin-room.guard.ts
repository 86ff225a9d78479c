import { type CanActivate, createParamDecorator, type ExecutionContext, Injectable, InternalServerErrorException, NotFoundException } from '@nestjs/common';
import type { Request } from 'express';
import { AdminRoomsService, type RoomRef } from '../../rooms/admin-rooms.service.js';
import { RoomCodePipe } from '../../rooms/room-code.pipe.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** The room an admin route's :code names (AdminRoomGuard). */
    adminRoom?: RoomRef;
  }
}

/**
 * Resolves an admin route's :code to the room (400 for a malformed code, 404 for none), for the
 * handler (@TargetRoom()) and the audit row's target (its id). A no-op on routes without :code.
 * Admins see every room: unlike a member's routes, there is nothing to hide about which codes exist.
 */
@Injectable()
export class AdminRoomGuard implements CanActivate {
  private readonly codePipe = new RoomCodePipe();

  constructor(private readonly rooms: AdminRoomsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    if (req.params.code === undefined) return true;
    const code = this.codePipe.transform(String(req.params.code));
    const room = await this.rooms.find(code);
    if (!room) throw new NotFoundException(`No room with code ${code}`);
    req.adminRoom = room;
    req.adminTarget = room.id;
    return true;
  }
}

/** The room AdminRoomGuard resolved from :code. */
export const TargetRoom = createParamDecorator((_data: unknown, context: ExecutionContext): RoomRef => {
  const room = context.switchToHttp().getRequest<Request>().adminRoom;
  if (!room) throw new InternalServerErrorException('No room resolved: is AdminRoomGuard on the route?');
  return room;
});

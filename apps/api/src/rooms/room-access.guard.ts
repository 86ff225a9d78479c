import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ROOM_CODE_PATTERN } from '@conclave/contracts';
import type { Request } from 'express';
import type { Socket } from 'socket.io';
import { NotInRoomException } from './not-in-room.js';
import { RoomCodePipe } from './room-code.pipe.js';
import { RoomProbeBudget } from './room-probes.js';
import { RoomsService } from './rooms.service.js';

/** 'members': the route or event is for the room's members (the default); 'joiners': also for those asking to join. */
export const RoomAccess = Reflector.createDecorator<'members' | 'joiners'>();

/** What a socket carries for this guard (set at its handshake). */
export interface ProbingSocketData {
  userId: string;
  /** The client's address, as REST sees it (req.ip). */
  address: string;
}

interface Probe {
  code: string;
  userId: string;
  address: string;
}

/**
 * Runs before every REST route and socket event that takes a room code. A member passes for free.
 * Anyone else spends one probe of RoomProbeBudget (429 / 'rate-limited' past it) and, unless the
 * route is for joiners, gets the same answer whether or not a room has this code (NotInRoomException).
 */
@Injectable()
export class RoomAccessGuard implements CanActivate {
  private readonly codePipe = new RoomCodePipe();

  constructor(
    private readonly reflector: Reflector,
    private readonly rooms: RoomsService,
    private readonly budget: RoomProbeBudget,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const probe = context.getType() === 'ws' ? this.fromSocket(context) : this.fromRequest(context);
    // Not a room code: the event's validation pipe refuses it.
    if (!probe) return true;
    if (await this.rooms.isMemberOf(probe.code, probe.userId)) return true;
    await this.budget.spend(probe.userId, probe.address);
    if (this.reflector.get(RoomAccess, context.getHandler()) === 'joiners') return true;
    throw new NotInRoomException(probe.code);
  }

  /** Behind SessionGuard; guards run before pipes, so the code is checked and normalised here as the pipe does. */
  private fromRequest(context: ExecutionContext): Probe {
    const req = context.switchToHttp().getRequest<Request>();
    return { code: this.codePipe.transform(String(req.params.code)), userId: req.session.userId!, address: req.ip ?? 'unknown' };
  }

  private fromSocket(context: ExecutionContext): Probe | undefined {
    const { code } = (context.switchToWs().getData() ?? {}) as { code?: unknown };
    const normalised = typeof code === 'string' ? code.trim().toUpperCase() : '';
    if (!ROOM_CODE_PATTERN.test(normalised)) return undefined;
    const { userId, address } = context.switchToWs().getClient<Socket<never, never, never, ProbingSocketData>>().data;
    return { code: normalised, userId, address };
  }
}

import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ROOM_CODE_PATTERN, type RoomRole } from '@conclave/contracts';
import type { Request } from 'express';
import type { Socket } from 'socket.io';
import { NotInRoomException } from './not-in-room.js';
import { RoomCodePipe } from './room-code.pipe.js';
import { RoomProbeBudget } from './room-probes.js';
import { RoomsService } from './rooms.service.js';

/**
 * Who a route or event is for: its members (the default, without @RoomAccess), also those asking to
 * join ('joiners'), or the owner only ('owner', with the refusal a member who is not the owner gets).
 */
export type RoomAccessRule = { level: 'members' | 'joiners' } | { level: 'owner'; refusal: string };

const RoomAccessRuleOf = Reflector.createDecorator<RoomAccessRule>();

export function RoomAccess(level: 'members' | 'joiners'): MethodDecorator & ClassDecorator;
export function RoomAccess(level: 'owner', refusal: string): MethodDecorator & ClassDecorator;
export function RoomAccess(level: RoomAccessRule['level'], refusal?: string): MethodDecorator & ClassDecorator {
  return RoomAccessRuleOf(level === 'owner' ? { level, refusal: refusal! } : { level });
}

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
 * Runs before every REST route and socket event that takes a room code. A member passes for free
 * (on an owner's route, only the owner: 403 with the route's refusal for any other member).
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
    const rule = this.reflector.getAllAndOverride(RoomAccessRuleOf, [context.getHandler(), context.getClass()]) ?? { level: 'members' };
    const role: RoomRole | undefined = await this.rooms.roleByCode(probe.code, probe.userId);
    if (role) {
      if (rule.level === 'owner' && role !== 'owner') throw new ForbiddenException(rule.refusal);
      return true;
    }
    await this.budget.spend(probe.userId, probe.address);
    if (rule.level === 'joiners') return true;
    throw new NotInRoomException(probe.code);
  }

  /** Behind AuthenticationGuard (the caller is req.principal); guards run before pipes, so the code is checked and normalised here as the pipe does. */
  private fromRequest(context: ExecutionContext): Probe {
    const req = context.switchToHttp().getRequest<Request>();
    // Room routes are user routes: AuthenticationGuard lets no API token reach them.
    if (req.principal?.kind !== 'session') throw new UnauthorizedException('Sign in first');
    return { code: this.codePipe.transform(String(req.params.code)), userId: req.principal.userId, address: req.ip ?? 'unknown' };
  }

  private fromSocket(context: ExecutionContext): Probe | undefined {
    const { code } = (context.switchToWs().getData() ?? {}) as { code?: unknown };
    const normalised = typeof code === 'string' ? code.trim().toUpperCase() : '';
    if (!ROOM_CODE_PATTERN.test(normalised)) return undefined;
    const { userId, address } = context.switchToWs().getClient<Socket<never, never, never, ProbingSocketData>>().data;
    return { code: normalised, userId, address };
  }
}

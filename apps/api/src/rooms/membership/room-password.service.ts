import { Inject, Injectable } from '@nestjs/common';
import { compare, hash } from 'bcrypt';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { AuditService } from '../../security/audit/audit.service.js';
import { type JoinTarget, RoomsService } from '../rooms.service.js';
import type { SetRoomPasswordDto } from './dto.js';

/**
 * Room passwords, end to end (docs/protocol.md, "Room password"): the server keeps bcrypt of the
 * joinKey a browser derives from the password and the room code, and the admitKey sealed for members;
 * it never sees the password.
 */
@Injectable()
export class RoomPasswordService {
  /** A bcrypt hash no joinKey matches: compared against when there is nothing to compare with, so every refusal takes as long as a wrong key. */
  private decoyHash?: Promise<string>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly rooms: RoomsService,
    private readonly audit: AuditService,
  ) {}

  /** The owner sets (or changes) the password: joins by joinKey work from now on (RoomAccessGuard lets only the owner here). */
  async set(code: string, ownerId: string, dto: SetRoomPasswordDto): Promise<void> {
    const joinKeyHash = await hash(dto.joinKey, this.config.auth.bcryptCost);
    const roomId = await this.rooms.setPassword(code, joinKeyHash, dto.sealed);
    await this.audit.record({ event: 'room.password_set', actorId: ownerId, details: { roomId } });
  }

  /** The owner removes the password: from now on a code alone asks for a member's approval, as in a room made without one. */
  async remove(code: string, ownerId: string): Promise<void> {
    const roomId = await this.rooms.removePassword(code);
    await this.audit.record({ event: 'room.password_removed', actorId: ownerId, details: { roomId } });
  }

  /**
   * Whether `joinKey` opens `room`'s password. False for no room, a room whose password is not set
   * (yet, or since v1) and no joinKey; whenever a joinKey is given, one bcrypt comparison runs either
   * way, so the answer's timing does not tell an unknown code from a wrong key.
   */
  async opens(room: JoinTarget | undefined, joinKey: string | undefined): Promise<boolean> {
    if (joinKey === undefined) return false;
    const stored = room?.passwordHash && room.passwordSealed ? room.passwordHash : undefined;
    const matches = await compare(joinKey, stored ?? (await this.decoy()));
    return stored !== undefined && matches;
  }

  private decoy(): Promise<string> {
    this.decoyHash ??= hash('no room has this join key', this.config.auth.bcryptCost);
    return this.decoyHash;
  }
}

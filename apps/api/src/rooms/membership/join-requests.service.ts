import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type AdmissionVia, JOINS_BLOCKED_MESSAGE, type JoinRequest, type JoinResult, type PendingRoom, type SealedVerifier } from '@conclave/contracts';
import type { DataSource } from 'typeorm';
import { UsersService } from '../../auth/users/users.service.js';
import { AuditService } from '../../security/audit/audit.service.js';
import { NotInRoomException } from '../not-in-room.js';
import { RoomsService } from '../rooms.service.js';
import type { JoinRoomDto } from '../dto.js';
import { InvitesService } from './invites.service.js';
import { MembershipEvents } from './membership-events.js';
import { RoomPasswordService } from './room-password.service.js';

type RequestVia = Exclude<AdmissionVia, 'upgrade'>;

interface RequestRow {
  room_id: string;
  code: string;
  user_id: string;
  via: RequestVia;
  invite_id: string | null;
  proof: string | null;
  requested_at: Date;
  sealed_epoch: number | null;
  sealed_iv: string | null;
  sealed_ct: string | null;
}

/**
 * Join requests (docs/protocol.md, "Joining"): the server's gate (code; joinKey of a password room;
 * a live invite; capacity and caps) lets a caller ask, and they wait, pending, until a member's browser
 * admits them with a signed admission (AdmissionsService). A pending person is not a member: no
 * presence, no room:enter, no key.
 */
@Injectable()
export class JoinRequestsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly rooms: RoomsService,
    private readonly users: UsersService,
    private readonly invites: InvitesService,
    private readonly passwords: RoomPasswordService,
    private readonly events: MembershipEvents,
    private readonly audit: AuditService,
  ) {}

  /**
   * The caller asks to join. A member gets {status: 'member'} (checked again under the locks an
   * admission takes, so a request is never stored for a member); anyone else passes the gate and waits.
   * An unknown code, a password room without the right joinKey and an invite the room does not have
   * get one answer (and a joinKey takes one bcrypt comparison either way), so a code alone reveals
   * only rooms without a password. Asking again replaces the request (an invite is counted once per request).
   * While an administrator blocks joins, everyone who names the room gets the same 409 before any
   * password or invite is looked at: refused after the password check, the 409 would confirm a
   * right password (so a code alone does reveal a blocked room, as it does a room without a password).
   */
  async request(code: string, userId: string, dto: JoinRoomDto): Promise<JoinResult> {
    const room = await this.rooms.joinTarget(code, userId);
    if (room?.role) return { status: 'member', room: await this.rooms.summaryOf(code, userId) };
    if (room?.joinsBlocked) throw new ConflictException(JOINS_BLOCKED_MESSAGE);
    const unknown = () => new NotFoundException(`No room with code ${code}, or ${dto.invite ? 'this invite is not valid' : dto.joinKey ? 'the password is wrong' : 'it needs a password'}`);
    let via: RequestVia = 'approval';
    if (dto.invite) via = 'invite';
    else if (!room || room.passwordHash !== null) {
      if (!(await this.passwords.opens(room, dto.joinKey))) throw unknown();
      via = 'password';
    }
    if (!room) throw unknown();
    const inviteId = dto.invite?.id ?? null;
    const proof = dto.invite?.proof ?? (via === 'password' ? dto.proof! : null);
    const requestedAt = await this.db.transaction(async (tx) => {
      await this.rooms.lockMemberships(tx, userId);
      const locked = await this.rooms.lockRoom(tx, room.id);
      if (!locked) throw unknown();
      // Read again under the locks: an admission that committed since joinTarget made the caller a member.
      if (await this.rooms.roleIn(tx, room.id, userId)) return null;
      const [previous] = await tx.query(`SELECT invite_id FROM room_join_requests WHERE room_id = $1 AND user_id = $2`, [room.id, userId]);
      if (inviteId && previous?.invite_id !== inviteId) await this.invites.use(tx, room.id, inviteId, unknown);
      await this.rooms.checkJoiner(tx, locked, userId);
      const [row]: Array<{ requested_at: Date }> = await tx.query(
        `INSERT INTO room_join_requests (room_id, user_id, via, invite_id, proof) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (room_id, user_id) DO UPDATE SET via = EXCLUDED.via, invite_id = EXCLUDED.invite_id, proof = EXCLUDED.proof, requested_at = now()
         RETURNING requested_at`,
        [room.id, userId, via, inviteId, proof],
      );
      return row!.requested_at;
    });
    if (requestedAt === null) return { status: 'member', room: await this.rooms.summaryOf(code, userId) };
    await this.audit.record({ event: 'room.join_requested', actorId: userId, details: { roomId: room.id, via, ...(inviteId ? { inviteId } : {}) } });
    const [request] = await this.requestsIn([room.id], userId);
    if (request) this.events.requested.next(request);
    return { status: 'pending', room: { code: room.code, name: room.name, via, requestedAt: requestedAt.toISOString() } };
  }

  /** The rooms the caller waits to join, oldest request first. */
  async pendingRooms(userId: string): Promise<PendingRoom[]> {
    const rows: Array<{ code: string; name: string; via: RequestVia; requested_at: Date }> = await this.db.query(
      `SELECT r.code, r.name, q.via, q.requested_at FROM room_join_requests q JOIN rooms r ON r.id = q.room_id WHERE q.user_id = $1 ORDER BY q.requested_at, r.code`,
      [userId],
    );
    return rows.map((r) => ({ code: r.code, name: r.name, via: r.via, requestedAt: r.requested_at.toISOString() }));
  }

  /** The caller withdraws their request (members are told it is resolved: declined). 404 when there is none, whether or not the room exists. */
  async cancel(code: string, userId: string): Promise<void> {
    const [deleted]: [Array<{ room_id: string }>, number] = await this.db.query(
      `DELETE FROM room_join_requests q USING rooms r WHERE r.id = q.room_id AND r.code = $1 AND q.user_id = $2 RETURNING q.room_id`,
      [code, userId],
    );
    const roomId = deleted[0]?.room_id;
    if (!roomId) throw new NotInRoomException(code);
    await this.audit.record({ event: 'room.join_cancelled', actorId: userId, details: { roomId } });
    this.events.resolved.next({ roomId, code, userId, outcome: 'declined' });
  }

  /**
   * The waiting requests of these rooms, oldest first, with the joiners' directory keys and, for an
   * invite or the password, the sealed verifier a member's browser checks the proof with.
   */
  async requestsIn(roomIds: string[], onlyUserId?: string): Promise<JoinRequest[]> {
    if (!roomIds.length) return [];
    const rows: RequestRow[] = await this.db.query(
      `SELECT q.room_id, r.code, q.user_id, q.via, q.invite_id, q.proof, q.requested_at,
              COALESCE(i.sealed_epoch, CASE WHEN q.via = 'password' THEN r.password_sealed_epoch END) AS sealed_epoch,
              COALESCE(i.sealed_iv, CASE WHEN q.via = 'password' THEN r.password_sealed_iv END) AS sealed_iv,
              COALESCE(i.sealed_ct, CASE WHEN q.via = 'password' THEN r.password_sealed_ct END) AS sealed_ct
         FROM room_join_requests q
         JOIN rooms r ON r.id = q.room_id
         LEFT JOIN room_invites i ON i.room_id = q.room_id AND i.id = q.invite_id
        WHERE q.room_id = ANY($1) AND ($2::uuid IS NULL OR q.user_id = $2::uuid)
        ORDER BY q.requested_at, q.user_id`,
      [roomIds, onlyUserId ?? null],
    );
    const users = new Map((await this.users.findByIds([...new Set(rows.map((r) => r.user_id))])).map((u) => [u.id, u]));
    return rows.flatMap((row) => {
      const user = users.get(row.user_id);
      if (!user) return [];
      const sealed: SealedVerifier | undefined = row.sealed_ct === null ? undefined : { epoch: row.sealed_epoch!, iv: row.sealed_iv!, ct: row.sealed_ct };
      const request: JoinRequest = {
        roomId: row.room_id,
        code: row.code,
        userId: row.user_id,
        username: user.username,
        publicKeys: { enc: user.encPublicKey, sig: user.sigPublicKey },
        via: row.via,
        ...(row.invite_id ? { inviteId: row.invite_id } : {}),
        ...(row.proof ? { proof: row.proof } : {}),
        ...(sealed ? { sealed } : {}),
        requestedAt: row.requested_at.toISOString(),
      };
      return [request];
    });
  }
}

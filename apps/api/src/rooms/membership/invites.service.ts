import { BadRequestException, ConflictException, ForbiddenException, GoneException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { INVITE_MAX_DAYS, INVITES_PER_ROOM_MAX, type InviteSummary, type SealedVerifier } from '@conclave/contracts';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../../security/audit/audit.service.js';
import { NotInRoomException } from '../not-in-room.js';
import { RoomsService } from '../rooms.service.js';
import type { CreateInviteDto } from './dto.js';

const DAY_MS = 86_400_000;
/** A client's clock may run a little ahead of the server's: an expiry this much past the limit still passes. */
const CLOCK_SLACK_MS = 5 * 60_000;

interface InviteRow {
  id: string;
  created_by: string;
  created_at: Date;
  expires_at: Date;
  max_uses: number;
  uses: number;
  revoked_at: Date | null;
}

/** An invite that can still admit: not revoked, not expired, not used up. */
const LIVE = `revoked_at IS NULL AND expires_at > now() AND uses < max_uses`;

/**
 * Invite links (docs/protocol.md, "Invites"): the server knows an invite's id (derived from the
 * link's secret) and keeps its verifier key sealed for members; it enforces expiry, revocation and the
 * use count. The proof a joiner sends is checked by a member's browser, never here.
 */
@Injectable()
export class InvitesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly rooms: RoomsService,
    private readonly audit: AuditService,
  ) {}

  /** A member creates an invite. Dead invites of the room (expired, revoked, used up) no waiting request came by are dropped then. */
  async create(code: string, userId: string, dto: CreateInviteDto): Promise<InviteSummary> {
    const room = await this.rooms.summaryOf(code, userId);
    const expiresAt = new Date(dto.expiresAt);
    const now = Date.now();
    if (!(expiresAt.getTime() > now) || expiresAt.getTime() > now + INVITE_MAX_DAYS * DAY_MS + CLOCK_SLACK_MS) {
      throw new BadRequestException(`expiresAt must be in the future and at most ${INVITE_MAX_DAYS} days ahead`);
    }
    if (dto.sealed.epoch > room.currentEpoch) throw new BadRequestException(`sealed.epoch must be an epoch of this room (1 to ${room.currentEpoch})`);
    const row = await this.db.transaction(async (tx) => {
      // The room's lock serialises its members' invites, so the count below cannot be raced past.
      if (!(await this.rooms.lockRoom(tx, room.id))) throw new NotInRoomException(code);
      // A dead invite a waiting request came by stays: members open its verifier to check that request's proof.
      await tx.query(
        `DELETE FROM room_invites i WHERE i.room_id = $1 AND NOT (${LIVE})
           AND NOT EXISTS (SELECT 1 FROM room_join_requests q WHERE q.room_id = i.room_id AND q.invite_id = i.id)`,
        [room.id],
      );
      const [{ live }] = await tx.query(`SELECT count(*)::int AS live FROM room_invites WHERE room_id = $1 AND ${LIVE}`, [room.id]);
      if (live >= INVITES_PER_ROOM_MAX) throw new ConflictException(`This room has ${live} open invites, the most it may have (${INVITES_PER_ROOM_MAX}): revoke one first`);
      const [inserted]: InviteRow[] = await tx.query(
        `INSERT INTO room_invites (room_id, id, created_by, expires_at, max_uses, sealed_epoch, sealed_iv, sealed_ct) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT DO NOTHING RETURNING id, created_by, created_at, expires_at, max_uses, uses, revoked_at`,
        [room.id, dto.id, userId, expiresAt, dto.maxUses, dto.sealed.epoch, dto.sealed.iv, dto.sealed.ct],
      );
      if (!inserted) throw new ConflictException('This room already has an invite with this id: make a new secret');
      return inserted;
    });
    await this.audit.record({ event: 'room.invite_created', actorId: userId, details: { roomId: room.id, inviteId: dto.id, expiresAt: expiresAt.toISOString(), maxUses: dto.maxUses } });
    return toSummary(row);
  }

  /** The room's invites, newest first (members only). */
  async list(code: string, userId: string): Promise<InviteSummary[]> {
    const room = await this.rooms.summaryOf(code, userId);
    const rows: InviteRow[] = await this.db.query(
      `SELECT id, created_by, created_at, expires_at, max_uses, uses, revoked_at FROM room_invites WHERE room_id = $1 ORDER BY created_at DESC, id`,
      [room.id],
    );
    return rows.map(toSummary);
  }

  /** Its creator or the room's owner revokes an invite: it admits nobody from now on (revoking twice changes nothing). */
  async revoke(code: string, userId: string, inviteId: string): Promise<void> {
    const room = await this.rooms.summaryOf(code, userId);
    const [invite]: Array<{ created_by: string; revoked_at: Date | null }> = await this.db.query(
      `SELECT created_by, revoked_at FROM room_invites WHERE room_id = $1 AND id = $2`,
      [room.id, inviteId],
    );
    if (!invite) throw new NotFoundException('This room has no invite with this id');
    if (invite.created_by !== userId && room.role !== 'owner') throw new ForbiddenException("Only an invite's creator or the room owner can revoke it");
    if (invite.revoked_at) return;
    await this.db.query(`UPDATE room_invites SET revoked_at = now() WHERE room_id = $1 AND id = $2 AND revoked_at IS NULL`, [room.id, inviteId]);
    await this.audit.record({ event: 'room.invite_revoked', actorId: userId, details: { roomId: room.id, inviteId } });
  }

  /**
   * In the join request's transaction: counts one use of the invite and returns its sealed verifier.
   * `unknown` is thrown for an invite this room does not have (the caller answers as for an unknown
   * code); an expired, revoked or used-up one gets 410 with the reason (only a holder of its id learns it).
   */
  async use(tx: EntityManager, roomId: string, inviteId: string, unknown: () => Error): Promise<SealedVerifier> {
    // An UPDATE ... RETURNING comes back from TypeORM as [rows, count].
    const [[used]]: [Array<{ sealed_epoch: number; sealed_iv: string; sealed_ct: string }>, number] = await tx.query(
      `UPDATE room_invites SET uses = uses + 1 WHERE room_id = $1 AND id = $2 AND ${LIVE} RETURNING sealed_epoch, sealed_iv, sealed_ct`,
      [roomId, inviteId],
    );
    if (used) return { epoch: used.sealed_epoch, iv: used.sealed_iv, ct: used.sealed_ct };
    const [dead]: InviteRow[] = await tx.query(`SELECT id, created_by, created_at, expires_at, max_uses, uses, revoked_at FROM room_invites WHERE room_id = $1 AND id = $2`, [
      roomId,
      inviteId,
    ]);
    if (!dead) throw unknown();
    if (dead.revoked_at) throw new GoneException('This invite was revoked: ask a member for a new one');
    if (dead.uses >= dead.max_uses) throw new GoneException(`This invite has been used ${dead.uses} times, all it allowed: ask a member for a new one`);
    throw new GoneException('This invite has expired: ask a member for a new one');
  }
}

function toSummary(row: InviteRow): InviteSummary {
  return {
    id: row.id,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    maxUses: row.max_uses,
    uses: row.uses,
    revoked: row.revoked_at !== null,
  };
}

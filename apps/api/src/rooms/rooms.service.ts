import { randomInt } from 'node:crypto';
import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { JOINS_BLOCKED_MESSAGE, ROOM_CODE_ALPHABET, ROOM_MEMBERS_MAX, type RoomDetail, type RoomHistory, type RoomRole, type RoomSummary, type RoomUpdated, type SealedVerifier } from '@conclave/contracts';
import type { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '../auth/principal/principal.js';
import { UsersService } from '../auth/users/users.service.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { AuditService } from '../security/audit/audit.service.js';
import type { CreateRoomDto, UpdateRoomDto } from './dto.js';
import { NotInRoomException } from './not-in-room.js';
import { RoomEvents } from './room-events.js';

interface RoomRow {
  id: string;
  code: string;
  name: string;
  history: RoomHistory;
  max_members: number;
  password_hash: string | null;
  current_epoch: number;
  last_seq: string;
  member_count: number;
  role: RoomRole;
  last_read_seq: string;
  unread: number;
}

/** rooms.password_hash of a room made with a password its owner's browser has not set yet: no bcrypt hash, so nothing matches it. */
const PASSWORD_NOT_SET = '!not-set';

/** A room as a would-be joiner's request is checked against. */
export interface JoinTarget {
  id: string;
  code: string;
  name: string;
  /** bcrypt(joinKey); also set (matching nothing) for a room whose password is not set yet, or was a v1 password. */
  passwordHash: string | null;
  /** The password's admitKey sealed for members: null until the owner has set the password. */
  passwordSealed: SealedVerifier | null;
  role: RoomRole | null;
  /** An administrator blocked joins (read again under the room's lock before a request is stored). */
  joinsBlocked: boolean;
}

/** A room's row as locked for a join request, an admission or a new epoch. */
export interface LockedRoom {
  id: string;
  code: string;
  maxMembers: number;
  currentEpoch: number;
  lastSeq: string;
  /** An administrator blocked new joins (PUT /api/admin/v1/rooms/:code/joins). */
  joinsBlocked: boolean;
}

/**
 * A room as its member sees it. `unread` counts the messages of others after the member's read
 * marker, not every log entry (membership lines, edits and deletions take seqs too: docs/protocol.md
 * §9a); it reads the messages module's table in the same query, as the dashboard's one round trip.
 */
const SUMMARY_COLUMNS = `r.id, r.code, r.name, r.history, r.max_members, r.password_hash, r.current_epoch, r.last_seq,
  (SELECT count(*)::int FROM room_members c WHERE c.room_id = r.id) AS member_count, m.role, m.last_read_seq,
  (SELECT count(*)::int FROM messages x
    WHERE x.room_id = r.id AND x.seq > m.last_read_seq AND x.kind = 'message' AND x.edit_of IS NULL AND x.deleted_at IS NULL AND x.sender_id <> m.user_id) AS unread`;

/** Rooms and membership: codes, capacity and per-user caps (race-free), ownership, read markers; admissions build on it (membership/). */
@Injectable()
export class RoomsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly events: RoomEvents,
  ) {}

  async create(ownerId: string, dto: CreateRoomDto): Promise<RoomSummary> {
    // A password room refuses every join until its owner's browser sets the password (RoomPasswordService).
    const passwordHash = dto.withPassword ? PASSWORD_NOT_SET : null;
    for (let attempt = 0; attempt < 20; attempt++) {
      const code = Array.from({ length: 4 }, () => ROOM_CODE_ALPHABET[randomInt(ROOM_CODE_ALPHABET.length)]).join('');
      const created = await this.db.transaction(async (tx) => {
        await this.checkCaps(tx, ownerId, { owning: true });
        const rows: Array<{ id: string }> = await tx.query(
          `INSERT INTO rooms (code, name, owner_id, password_hash, max_members, history) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (code) DO NOTHING RETURNING id`,
          [code, dto.name, ownerId, passwordHash, dto.maxMembers ?? ROOM_MEMBERS_MAX, dto.history],
        );
        if (!rows.length) return undefined; // the code is taken: draw another
        await tx.query(`INSERT INTO room_members (room_id, user_id, role, joined_epoch) VALUES ($1, $2, 'owner', 1)`, [rows[0]!.id, ownerId]);
        return rows[0]!.id;
      });
      if (created) {
        await this.audit.record({ event: 'room.created', actorId: ownerId, details: { roomId: created, code } });
        // The owner's open sockets follow the room (presence, key requests) as a joiner's do.
        this.events.membership.next({ roomId: created, code, userId: ownerId, change: 'joined', atCreation: true });
        return this.summary(code, ownerId);
      }
    }
    throw new ConflictException('No free room code found: try again');
  }

  async leave(code: string, userId: string): Promise<void> {
    const room = await this.findRoom(code, userId);
    if (!room?.role) throw new NotInRoomException(code);
    const deleted = await this.db.transaction((tx) => this.removeMembership(tx, room.id, userId, () => new NotInRoomException(code)));
    await this.audit.record({ event: 'room.left', actorId: userId, details: { roomId: room.id } });
    this.events.membership.next({ roomId: room.id, code, userId, change: 'left' });
    if (deleted) this.events.deleted.next({ roomId: room.id });
  }

  /** The owner removes a member (RoomAccess('owner') checked that); the room then needs a new key epoch. */
  async removeMember(code: string, memberId: string, actorId: string): Promise<void> {
    const [room]: Array<{ id: string }> = await this.db.query(`SELECT id FROM rooms WHERE code = $1`, [code]);
    if (!room) throw new NotInRoomException(code);
    if (memberId === actorId) throw new BadRequestException('Leave the room rather than removing yourself');
    await this.exclude({ id: room.id, code }, memberId, { actorId, tokenId: null, by: 'owner' });
  }

  /**
   * A site admin (or an API token) removes a member: the same removal as the owner's, without being
   * a member. Removing the last member deletes the room, as their leaving would.
   */
  async removeMemberAsAdmin(room: { id: string; code: string }, memberId: string, by: Actor): Promise<void> {
    await this.exclude(room, memberId, { ...by, by: 'admin' });
  }

  /** A removal: a new key epoch, open invites revoked, the member's sockets cut off (404 when they are not a member). */
  private async exclude(room: { id: string; code: string }, memberId: string, by: Actor & { by: 'owner' | 'admin' }): Promise<void> {
    const deleted = await this.db.transaction(async (tx) => {
      const roomDeleted = await this.removeMembership(tx, room.id, memberId, () => new NotFoundException('This person is not a member of this room'));
      // The removed member held the epoch keys the open invites' verifiers are sealed under, so could
      // prove any of them for themselves and be let back in without anyone deciding (docs/protocol.md, "Invites").
      if (!roomDeleted) await tx.query(`UPDATE room_invites SET revoked_at = now() WHERE room_id = $1 AND revoked_at IS NULL`, [room.id]);
      return roomDeleted;
    });
    await this.audit.record({ event: 'room.member_removed', actorId: by.actorId, tokenId: by.tokenId, target: room.id, details: { roomId: room.id, memberId, by: by.by } });
    this.events.membership.next({ roomId: room.id, code: room.code, userId: memberId, change: 'removed' });
    // Only when someone other than a member removed the last one (an admin).
    if (deleted) this.events.deleted.next({ roomId: room.id });
  }

  /** The room with this code as a would-be joiner sees it, with the caller's role (null: not a member), in one query. */
  async joinTarget(code: string, userId: string): Promise<JoinTarget | undefined> {
    const [room] = await this.db.query(
      `SELECT r.id, r.code, r.name, r.password_hash, r.password_sealed_epoch, r.password_sealed_iv, r.password_sealed_ct, r.joins_blocked, m.role
         FROM rooms r LEFT JOIN room_members m ON m.room_id = r.id AND m.user_id = $2 WHERE r.code = $1`,
      [code, userId],
    );
    if (!room) return undefined;
    const sealed = room.password_sealed_ct === null ? null : { epoch: room.password_sealed_epoch, iv: room.password_sealed_iv, ct: room.password_sealed_ct };
    return { id: room.id, code: room.code, name: room.name, passwordHash: room.password_hash, passwordSealed: sealed, role: room.role, joinsBlocked: room.joins_blocked };
  }

  /** The caller's summary of a room they are a member of. */
  async summaryOf(code: string, userId: string): Promise<RoomSummary> {
    return this.summary(code, userId);
  }

  /** The caller's role in a room (undefined: not a member), read in `tx`. */
  async roleIn(tx: EntityManager, roomId: string, userId: string): Promise<RoomRole | undefined> {
    const [row] = await tx.query(`SELECT role FROM room_members WHERE room_id = $1 AND user_id = $2`, [roomId, userId]);
    return row?.role;
  }

  /** The members' ids (in `tx` when given). */
  async memberIds(roomId: string, tx: EntityManager = this.db.manager): Promise<string[]> {
    const rows: Array<{ user_id: string }> = await tx.query(`SELECT user_id FROM room_members WHERE room_id = $1`, [roomId]);
    return rows.map((r) => r.user_id);
  }

  /**
   * Serialises `userId`'s membership changes (creates, join requests, admissions) until `tx` ends.
   * Taken before any room's row lock, in every path, so two such transactions never wait on each other in a cycle.
   */
  async lockMemberships(tx: EntityManager, userId: string): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`room-memberships:${userId}`]);
  }

  /** The room's row, locked until `tx` ends: its admissions, joins and epochs happen one at a time. */
  async lockRoom(tx: EntityManager, roomId: string): Promise<LockedRoom | undefined> {
    const [room] = await tx.query(`SELECT id, code, max_members, current_epoch, last_seq, joins_blocked FROM rooms WHERE id = $1 FOR UPDATE`, [roomId]);
    return room
      ? { id: room.id, code: room.code, maxMembers: room.max_members, currentEpoch: room.current_epoch, lastSeq: room.last_seq, joinsBlocked: room.joins_blocked }
      : undefined;
  }

  /**
   * At a join request, in `tx` (after lockMemberships, with the room locked): the caller's cap, counting
   * the rooms they wait to join elsewhere, and the room's capacity. 409 past either, and while an
   * administrator has blocked the room's joins (every way in comes here: code, invite, password).
   */
  async checkJoiner(tx: EntityManager, room: LockedRoom, userId: string): Promise<void> {
    if (room.joinsBlocked) throw new ConflictException(JOINS_BLOCKED_MESSAGE);
    await this.checkCaps(tx, userId, { owning: false, pendingExcept: room.id });
    await this.checkCapacity(tx, room);
  }

  /**
   * At an admission, in `tx` (after lockMemberships, with the room locked): the cap and capacity
   * again, then the member row. 409 past either, for someone who is a member already, and while
   * joins are blocked (a request made before the block waits, and is admitted once it is lifted).
   */
  async addMember(tx: EntityManager, room: LockedRoom, userId: string): Promise<void> {
    if (room.joinsBlocked) throw new ConflictException(JOINS_BLOCKED_MESSAGE);
    await this.checkCaps(tx, userId, { owning: false });
    await this.checkCapacity(tx, room);
    const inserted: unknown[] = await tx.query(
      `INSERT INTO room_members (room_id, user_id, role, joined_epoch, joined_seq, last_read_seq) VALUES ($1, $2, 'member', $3, $4, $4)
       ON CONFLICT (room_id, user_id) DO NOTHING RETURNING user_id`,
      [room.id, userId, room.currentEpoch, room.lastSeq],
    );
    if (!inserted.length) throw new ConflictException(`${userId} is a member of this room already`);
  }

  /** The room password's gate as stored: bcrypt(joinKey) and the sealed admitKey (the owner's route: RoomAccessGuard checks who). */
  async setPassword(code: string, joinKeyHash: string, sealed: SealedVerifier): Promise<string> {
    const [room]: Array<{ id: string; current_epoch: number }> = await this.db.query(`SELECT id, current_epoch FROM rooms WHERE code = $1`, [code]);
    if (!room) throw new NotInRoomException(code);
    if (sealed.epoch > room.current_epoch) throw new BadRequestException(`sealed.epoch must be an epoch of this room (1 to ${room.current_epoch})`);
    await this.db.query(
      `UPDATE rooms SET password_hash = $2, password_sealed_epoch = $3, password_sealed_iv = $4, password_sealed_ct = $5 WHERE id = $1`,
      [room.id, joinKeyHash, sealed.epoch, sealed.iv, sealed.ct],
    );
    await this.announceUpdate(room.id);
    return room.id;
  }

  /**
   * The owner removes the room password (the owner's route: RoomAccessGuard checks who): the gate
   * and the sealed admitKey go, and a code alone asks for a member's approval again. The room id.
   */
  async removePassword(code: string): Promise<string> {
    const [updated]: [Array<{ id: string }>, number] = await this.db.query(
      `UPDATE rooms SET password_hash = NULL, password_sealed_epoch = NULL, password_sealed_iv = NULL, password_sealed_ct = NULL WHERE code = $1 RETURNING id`,
      [code],
    );
    const roomId = updated[0]?.id;
    if (!roomId) throw new NotInRoomException(code);
    await this.announceUpdate(roomId);
    return roomId;
  }

  /**
   * The owner renames the room or changes its member limit (RoomAccessGuard checked who). The limit
   * is checked against the members under the room's lock, which every admission takes too, so no
   * join can slip in between: 409 when it is below their number, and nothing changes.
   */
  async updateSettings(code: string, actorId: string, dto: UpdateRoomDto): Promise<RoomSummary> {
    if (dto.name === undefined && dto.maxMembers === undefined) throw new BadRequestException('Give name or maxMembers (or both) to change');
    const changed = await this.db.transaction(async (tx) => {
      const [found]: Array<{ id: string }> = await tx.query(`SELECT id FROM rooms WHERE code = $1`, [code]);
      const room = found && (await this.lockRoom(tx, found.id));
      if (!room) throw new NotInRoomException(code);
      if (dto.maxMembers !== undefined) {
        const [{ n }] = await tx.query(`SELECT count(*)::int AS n FROM room_members WHERE room_id = $1`, [room.id]);
        if (dto.maxMembers < n) {
          throw new ConflictException(`This room has ${n} members: the member limit cannot be below that (${dto.maxMembers} asked); remove members first`);
        }
      }
      await tx.query(`UPDATE rooms SET name = COALESCE($2, name), max_members = COALESCE($3, max_members) WHERE id = $1`, [room.id, dto.name ?? null, dto.maxMembers ?? null]);
      return room.id;
    });
    const fields = [...(dto.name !== undefined ? ['name'] : []), ...(dto.maxMembers !== undefined ? ['maxMembers'] : [])].join(',');
    await this.audit.record({ event: 'room.settings_changed', actorId, details: { roomId: changed, fields, ...(dto.maxMembers !== undefined ? { maxMembers: dto.maxMembers } : {}) } });
    await this.announceUpdate(changed);
    return this.summary(code, actorId);
  }

  /** Tells the room's members its settings as they are now (RoomEvents.updated → 'room:updated'). */
  private async announceUpdate(roomId: string): Promise<void> {
    const [row] = await this.db.query(`SELECT id, code, name, max_members, password_hash FROM rooms WHERE id = $1`, [roomId]);
    if (!row) return;
    const update: RoomUpdated = { roomId: row.id, code: row.code, name: row.name, maxMembers: row.max_members, hasPassword: row.password_hash !== null };
    this.events.updated.next(update);
  }

  /** What a member needs to enter a room's live channel; NotInRoomException otherwise. */
  async liveState(code: string, userId: string): Promise<{ roomId: string; code: string; currentEpoch: number; lastSeq: number }> {
    const row = await this.memberRow(code, userId);
    return { roomId: row.id, code: row.code, currentEpoch: row.current_epoch, lastSeq: Number(row.last_seq) };
  }

  /** From which sequence number a member may read: 0 in a "shared" room, their join point in a "joined" one. */
  async readableFrom(roomId: string, userId: string): Promise<number> {
    const [row] = await this.db.query(
      `SELECT r.history, m.joined_seq FROM rooms r JOIN room_members m ON m.room_id = r.id AND m.user_id = $2 WHERE r.id = $1`,
      [roomId, userId],
    );
    if (!row) throw new NotInRoomException();
    return row.history === 'joined' ? Number(row.joined_seq) : 0;
  }

  /** Moves the member's read marker forward (never back, never past the last message). */
  async markRead(roomId: string, userId: string, seq: number): Promise<number> {
    const [updated]: [Array<{ last_read_seq: string }>, number] = await this.db.query(
      `UPDATE room_members m SET last_read_seq = GREATEST(m.last_read_seq, LEAST($3::bigint, r.last_seq))
         FROM rooms r WHERE r.id = m.room_id AND m.room_id = $1 AND m.user_id = $2 RETURNING m.last_read_seq`,
      [roomId, userId, seq],
    );
    if (!updated[0]) throw new NotInRoomException();
    return Number(updated[0].last_read_seq);
  }

  async codeOf(roomId: string): Promise<string> {
    const [row] = await this.db.query(`SELECT code FROM rooms WHERE id = $1`, [roomId]);
    return row?.code ?? '';
  }

  /** `userId`'s role in the room with this code (undefined: not a member, or no such room), in one query. */
  async roleByCode(code: string, userId: string): Promise<RoomRole | undefined> {
    const [row]: Array<{ role: RoomRole }> = await this.db.query(
      `SELECT m.role FROM room_members m JOIN rooms r ON r.id = m.room_id WHERE r.code = $1 AND m.user_id = $2`,
      [code, userId],
    );
    return row?.role;
  }

  /** Whether `userId` is a member of the room with this id (false as well when there is none). */
  async isMember(roomId: string, userId: string): Promise<boolean> {
    const rows = await this.db.query(`SELECT 1 FROM room_members WHERE room_id = $1 AND user_id = $2`, [roomId, userId]);
    return rows.length > 0;
  }

  /** The ids of the rooms a user belongs to. */
  async roomIdsOf(userId: string): Promise<string[]> {
    const rows: Array<{ room_id: string }> = await this.db.query(`SELECT room_id FROM room_members WHERE user_id = $1`, [userId]);
    return rows.map((r) => r.room_id);
  }

  /** The rooms a user belongs to and their role in each, by name (the admin API's user details). */
  async membershipsOf(userId: string): Promise<Array<{ id: string; code: string; name: string; role: RoomRole }>> {
    return this.db.query(
      `SELECT r.id, r.code, r.name, m.role FROM room_members m JOIN rooms r ON r.id = m.room_id WHERE m.user_id = $1 ORDER BY lower(r.name), r.code`,
      [userId],
    );
  }

  async list(userId: string): Promise<RoomSummary[]> {
    const rows: RoomRow[] = await this.db.query(
      `SELECT ${SUMMARY_COLUMNS} FROM room_members m JOIN rooms r ON r.id = m.room_id WHERE m.user_id = $1 ORDER BY lower(r.name), r.code`,
      [userId],
    );
    return rows.map(toSummary);
  }

  /** The room with its members and their public keys; members only (RoomDetailService adds what admits them). */
  async detail(code: string, userId: string): Promise<Omit<RoomDetail, 'genesis' | 'admissions' | 'pending'>> {
    const summary = await this.summary(code, userId);
    const rows: Array<{ user_id: string; role: RoomRole; joined_at: Date }> = await this.db.query(
      `SELECT user_id, role, joined_at FROM room_members WHERE room_id = $1 ORDER BY joined_at, user_id`,
      [summary.id],
    );
    const users = new Map((await this.users.findByIds(rows.map((r) => r.user_id))).map((u) => [u.id, u]));
    const members = rows.map((r) => {
      const user = users.get(r.user_id)!;
      return { id: r.user_id, username: user.username, role: r.role, joinedAt: r.joined_at.toISOString(), publicKeys: { enc: user.encPublicKey, sig: user.sigPublicKey } };
    });
    return { ...summary, members };
  }

  private async summary(code: string, userId: string): Promise<RoomSummary> {
    return toSummary(await this.memberRow(code, userId));
  }

  /** The room by code as `userId` sees it, in one query; the same NotInRoomException for no such room and a non-member. */
  private async memberRow(code: string, userId: string): Promise<RoomRow> {
    const [row]: RoomRow[] = await this.db.query(
      `SELECT ${SUMMARY_COLUMNS} FROM rooms r JOIN room_members m ON m.room_id = r.id AND m.user_id = $2 WHERE r.code = $1`,
      [code, userId],
    );
    if (!row) throw new NotInRoomException(code);
    return row;
  }

  /** The room with this code and the caller's role in it, in one query (the same work whether or not it exists). */
  private async findRoom(code: string, userId: string): Promise<{ id: string; role: RoomRole | null } | undefined> {
    const [room] = await this.db.query(
      `SELECT r.id, m.role FROM rooms r LEFT JOIN room_members m ON m.room_id = r.id AND m.user_id = $2 WHERE r.code = $1`,
      [code, userId],
    );
    return room;
  }

  /**
   * The caller's caps, ROOMS_OWNED_MAX (when about to own one more) and ROOMS_JOINED_MAX, checked in
   * the transaction that adds the membership (or the join request: then the rooms they wait to join
   * elsewhere count too). The lock on the user serialises their concurrent creates, requests and
   * admissions, so parallel requests cannot all see room for one more.
   */
  private async checkCaps(tx: EntityManager, userId: string, { owning, pendingExcept }: { owning: boolean; pendingExcept?: string }): Promise<void> {
    await this.lockMemberships(tx, userId);
    const [{ owned, joined, waiting }]: Array<{ owned: number; joined: number; waiting: number }> = await tx.query(
      `SELECT count(*) FILTER (WHERE role = 'owner')::int AS owned, count(*)::int AS joined,
              CASE WHEN $2::uuid IS NULL THEN 0 ELSE (SELECT count(*)::int FROM room_join_requests q WHERE q.user_id = $1 AND q.room_id <> $2::uuid) END AS waiting
         FROM room_members WHERE user_id = $1`,
      [userId, pendingExcept ?? null],
    );
    const { roomsOwned, roomsJoined } = this.config.quotas;
    if (owning && owned >= roomsOwned) {
      throw new ConflictException(`You own ${owned} rooms, the most one account may own (${roomsOwned}): leave one before creating another`);
    }
    if (joined >= roomsJoined) {
      throw new ConflictException(`You are in ${joined} rooms, the most one account may belong to (${roomsJoined}): leave one first`);
    }
    if (joined + waiting >= roomsJoined) {
      throw new ConflictException(
        `You are in ${joined} rooms and wait to join ${waiting} more, the most one account may belong to (${roomsJoined}): withdraw a request or leave a room first`,
      );
    }
  }

  /** 409 when the locked room is full. */
  private async checkCapacity(tx: EntityManager, room: LockedRoom): Promise<void> {
    const [{ n }] = await tx.query(`SELECT count(*)::int AS n FROM room_members WHERE room_id = $1`, [room.id]);
    if (n >= room.maxMembers) throw new ConflictException(`This room is full (${room.maxMembers} members)`);
  }

  /**
   * Ends a membership. The last member leaving deletes the room; an owner leaving hands the room to
   * the longest-standing member; anyone leaving marks the room for a new key epoch. True when the room was deleted.
   */
  private async removeMembership(tx: EntityManager, roomId: string, userId: string, notMember: () => Error): Promise<boolean> {
    await tx.query(`SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE`, [roomId]);
    // A DELETE ... RETURNING comes back from TypeORM as [rows, count].
    const [deleted]: [Array<{ role: RoomRole }>, number] = await tx.query(`DELETE FROM room_members WHERE room_id = $1 AND user_id = $2 RETURNING role`, [roomId, userId]);
    const removed = deleted[0];
    if (!removed) throw notMember();
    const [heir] = await tx.query(`SELECT user_id FROM room_members WHERE room_id = $1 ORDER BY joined_at, user_id LIMIT 1`, [roomId]);
    if (!heir) {
      await tx.query(`DELETE FROM rooms WHERE id = $1`, [roomId]);
      return true;
    }
    if (removed.role === 'owner') {
      await tx.query(`UPDATE room_members SET role = 'owner' WHERE room_id = $1 AND user_id = $2`, [roomId, heir.user_id]);
      await tx.query(`UPDATE rooms SET owner_id = $2 WHERE id = $1`, [roomId, heir.user_id]);
    }
    await tx.query(`UPDATE rooms SET rotation_pending = true WHERE id = $1`, [roomId]);
    return false;
  }
}

function toSummary(row: RoomRow): RoomSummary {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    history: row.history,
    maxMembers: row.max_members,
    hasPassword: row.password_hash !== null,
    memberCount: row.member_count,
    role: row.role,
    currentEpoch: row.current_epoch,
    unread: row.unread,
  };
}

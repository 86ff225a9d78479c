import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AdminRoomDetail, AdminRoomMember, AdminRoomSummary, RoomHistory, RoomRole } from '@conclave/contracts';
import type { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '../auth/principal/principal.js';
import { UsersService } from '../auth/users/users.service.js';
import { AuditService } from '../security/audit/audit.service.js';
import { RoomEvents } from './room-events.js';

/** A room the admin API names by code, resolved to its id. */
export interface RoomRef {
  id: string;
  code: string;
}

/**
 * A room's position in the admin list: its last_activity_at to the microsecond (as PostgreSQL
 * prints it, ISO 8601 in UTC: a JavaScript Date would drop the microseconds and skip or repeat
 * rows) and its id.
 */
export interface RoomListKey {
  activity: string;
  id: string;
}

export interface RoomListQuery {
  limit: number;
  after?: RoomListKey;
  /** The exact code (any case) or a part of the name (case-insensitive). */
  q?: string;
}

/** A room of the admin list, with its position (the next page starts after the last one's). */
export interface RoomListEntry {
  room: AdminRoomSummary;
  position: RoomListKey;
}

/** What the rooms module knows of a room's details; the admin module adds message and file counts from their owners. */
export type AdminRoomFacts = Omit<AdminRoomDetail, 'messageCount' | 'fileCount' | 'fileBytes'>;

interface SummaryRow {
  id: string;
  code: string;
  name: string;
  owner_id: string;
  member_count: number;
  joins_blocked: boolean;
  created_at: Date;
  last_activity_at: Date;
  activity_key: string;
}

interface DetailRow extends SummaryRow {
  pending_count: number;
  max_members: number;
  password_hash: string | null;
  history: RoomHistory;
  current_epoch: number;
}

const SUMMARY_COLUMNS = `r.id, r.code, r.name, r.owner_id, r.joins_blocked, r.created_at, r.last_activity_at,
  to_char(r.last_activity_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS activity_key,
  (SELECT count(*)::int FROM room_members m WHERE m.room_id = r.id) AS member_count`;

/** ILIKE's wildcards and its escape character, taken literally. */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Room administration for the admin API (README "Administration"): metadata only. Lists and reads
 * rooms, blocks joins, hands ownership to a member and deletes rooms; it never adds a member,
 * grants a key or reads a message. Removing a member is RoomsService.removeMemberAsAdmin (the
 * owner's removal path).
 */
@Injectable()
export class AdminRoomsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly events: RoomEvents,
  ) {}

  /** The room with this (normalised) code. */
  async find(code: string): Promise<RoomRef | undefined> {
    const [row]: RoomRef[] = await this.db.query(`SELECT id, code FROM rooms WHERE code = $1`, [code]);
    return row;
  }

  /** Up to `limit` rooms after `after`, newest activity first (then id). */
  async list({ limit, after, q }: RoomListQuery): Promise<RoomListEntry[]> {
    const rows: SummaryRow[] = await this.db.query(
      `SELECT ${SUMMARY_COLUMNS} FROM rooms r
        WHERE ($1::text IS NULL OR r.code = upper($1) OR r.name ILIKE '%' || $2 || '%')
          AND ($3::timestamptz IS NULL OR (r.last_activity_at, r.id) < ($3::timestamptz, $4::uuid))
        ORDER BY r.last_activity_at DESC, r.id DESC
        LIMIT $5`,
      [q ?? null, q === undefined ? null : likeLiteral(q), after?.activity ?? null, after?.id ?? null, limit],
    );
    const owners = await this.usernames(rows.map((r) => r.owner_id));
    return rows.map((row) => ({ room: toSummary(row, owners), position: { activity: row.activity_key, id: row.id } }));
  }

  /** The room's metadata; 404 once it is gone. */
  async detail(roomId: string): Promise<AdminRoomFacts> {
    const [row]: DetailRow[] = await this.db.query(
      `SELECT ${SUMMARY_COLUMNS}, r.max_members, r.password_hash, r.history, r.current_epoch,
              (SELECT count(*)::int FROM room_join_requests q WHERE q.room_id = r.id) AS pending_count
         FROM rooms r WHERE r.id = $1`,
      [roomId],
    );
    if (!row) throw new NotFoundException('This room no longer exists');
    return {
      ...toSummary(row, await this.usernames([row.owner_id])),
      pendingCount: row.pending_count,
      maxMembers: row.max_members,
      hasPassword: row.password_hash !== null,
      history: row.history,
      currentEpoch: row.current_epoch,
    };
  }

  /** The members, longest-standing first (a room has at most ROOM_MEMBERS_MAX). */
  async members(roomId: string): Promise<AdminRoomMember[]> {
    const rows: Array<{ user_id: string; role: RoomRole; joined_at: Date }> = await this.db.query(
      `SELECT user_id, role, joined_at FROM room_members WHERE room_id = $1 ORDER BY joined_at, user_id`,
      [roomId],
    );
    const names = await this.usernames(rows.map((r) => r.user_id));
    return rows.map((r) => ({ id: r.user_id, username: names.get(r.user_id) ?? '', role: r.role, joinedAt: r.joined_at.toISOString() }));
  }

  /**
   * Blocks or unblocks new joins (RoomsService refuses join requests, invites, password joins and
   * admissions with 409 while blocked). Members stay; waiting requests stay and can be admitted once
   * unblocked. Audited when it changes.
   */
  async setJoinsBlocked(room: RoomRef, blocked: boolean, by: Actor): Promise<void> {
    const [changed]: [unknown[], number] = await this.db.query(`UPDATE rooms SET joins_blocked = $2 WHERE id = $1 AND joins_blocked <> $2 RETURNING id`, [room.id, blocked]);
    if (!changed.length) {
      if (!(await this.find(room.code))) throw new NotFoundException('This room no longer exists');
      return;
    }
    await this.audit.record({ event: blocked ? 'room.joins_blocked' : 'room.joins_unblocked', actorId: by.actorId, tokenId: by.tokenId, target: room.id, details: { roomId: room.id } });
  }

  /**
   * Hands the room to one of its members; the old owner stays as a member. 409 for someone who is
   * not a member (an admin cannot put anyone into a room). The new owner may go over ROOMS_OWNED_MAX,
   * as an heir does: the cap limits creating rooms. Handing it to its owner changes nothing.
   */
  async transferOwnership(room: RoomRef, userId: string, by: Actor): Promise<void> {
    const from = await this.db.transaction(async (tx) => {
      const [locked]: Array<{ owner_id: string }> = await tx.query(`SELECT owner_id FROM rooms WHERE id = $1 FOR UPDATE`, [room.id]);
      if (!locked) throw new NotFoundException('This room no longer exists');
      const [member] = await tx.query(`SELECT role FROM room_members WHERE room_id = $1 AND user_id = $2`, [room.id, userId]);
      if (!member) throw new ConflictException(`${userId} is not a member of room ${room.code}: a room can only be handed to one of its members`);
      if (locked.owner_id === userId) return undefined;
      await tx.query(`UPDATE room_members SET role = CASE WHEN user_id = $2 THEN 'owner' ELSE 'member' END WHERE room_id = $1 AND (user_id = $2 OR role = 'owner')`, [room.id, userId]);
      await tx.query(`UPDATE rooms SET owner_id = $2 WHERE id = $1`, [room.id, userId]);
      return locked.owner_id;
    });
    if (from === undefined) return;
    await this.audit.record({ event: 'room.owner_transferred', actorId: by.actorId, tokenId: by.tokenId, target: room.id, details: { roomId: room.id, from, to: userId } });
  }

  /**
   * Deletes the room with its messages, members, keys, invites and requests (the foreign keys
   * cascade; its files rows lose their room, for FilesService to purge). Under the room's lock,
   * before the delete, `measure` runs in the same transaction: what it counts cannot change before
   * the room is gone, and what it writes commits with the deletion or not at all. The members are
   * told 'removed' once it committed. Undefined when the room was already gone.
   */
  async deleteRoom(roomId: string, measure: (tx: EntityManager, memberIds: string[]) => Promise<void>): Promise<{ code: string; memberIds: string[] } | undefined> {
    const deleted = await this.db.transaction(async (tx) => {
      const [room]: Array<{ code: string }> = await tx.query(`SELECT code FROM rooms WHERE id = $1 FOR UPDATE`, [roomId]);
      if (!room) return undefined;
      const members: Array<{ user_id: string }> = await tx.query(`SELECT user_id FROM room_members WHERE room_id = $1`, [roomId]);
      const memberIds = members.map((m) => m.user_id);
      await measure(tx, memberIds);
      await tx.query(`DELETE FROM rooms WHERE id = $1`, [roomId]);
      return { code: room.code, memberIds };
    });
    if (deleted) for (const userId of deleted.memberIds) this.events.membership.next({ roomId, code: deleted.code, userId, change: 'removed' });
    return deleted;
  }

  private async usernames(userIds: string[]): Promise<Map<string, string>> {
    return new Map((await this.users.findByIds([...new Set(userIds)])).map((u) => [u.id, u.username]));
  }
}

function toSummary(row: SummaryRow, usernames: Map<string, string>): AdminRoomSummary {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    ownerId: row.owner_id,
    ownerUsername: usernames.get(row.owner_id) ?? '',
    memberCount: row.member_count,
    joinsBlocked: row.joins_blocked,
    createdAt: row.created_at.toISOString(),
    lastActivityAt: row.last_activity_at.toISOString(),
  };
}

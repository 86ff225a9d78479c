import { ConflictException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Admission, AdmissionVia, PublicKeys, RoomGenesis } from '@conclave/contracts';
import { memberKeysDigest, verifyAdmission, verifyGenesis } from '@conclave/crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { UsersService } from '../../auth/users/users.service.js';
import { AuditService } from '../../security/audit/audit.service.js';
import { NOT_IN_ROOM } from '../not-in-room.js';
import { RoomEvents } from '../room-events.js';
import { type LockedRoom, RoomsService } from '../rooms.service.js';
import { AdmissionRefusal } from './admission-refusal.js';
import type { DeclineRequestDto, GenesisRequestDto, GrantRequestDto } from './dto.js';
import { MembershipEvents } from './membership-events.js';

interface AdmissionRow {
  room_id: string;
  member_id: string;
  member_keys: string;
  admitter_id: string;
  via: AdmissionVia;
  admitted_at: string;
  sig: string;
}

/**
 * Signed membership (docs/protocol.md, "Membership"): a room's genesis and its members' admissions,
 * each verified on arrival under its signer's directory keys. The server's admitted set (current
 * members whose stored admission names their current keys, and the genesis creator while a member)
 * is what key epochs, key shares and key-request relays are limited to (KeysService).
 */
@Injectable()
export class AdmissionsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly rooms: RoomsService,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly roomEvents: RoomEvents,
    private readonly events: MembershipEvents,
  ) {}

  /**
   * The owner signs the room's genesis, once, and admits the room's other current members
   * ('upgrade', for a room made before v2). Returns who is admitted now: the owner and the upgraded.
   */
  async genesis(ownerId: string, { roomId, genesis, admissions }: GenesisRequestDto): Promise<string[]> {
    if (genesis.roomId !== roomId || admissions.some((a) => a.roomId !== roomId)) throw new AdmissionRefusal('invalid-payload', 'The genesis and its admissions must name this room');
    if (genesis.creatorId !== ownerId) throw new AdmissionRefusal('invalid-payload', 'Sign the genesis as yourself: creatorId must be your id');
    const memberIds = admissions.map((a) => a.memberId);
    if (new Set(memberIds).size !== memberIds.length) throw new AdmissionRefusal('invalid-payload', 'One admission per member');
    for (const a of admissions) {
      if (a.via !== 'upgrade' || a.admitterId !== ownerId || a.memberId === ownerId) {
        throw new AdmissionRefusal('invalid-payload', `The genesis admits other current members only, via 'upgrade', signed by you (not so for ${a.memberId})`);
      }
    }
    const keys = await this.directoryKeys([ownerId, ...memberIds]);
    const ownerKeys = keys.get(ownerId)!;
    await verifyGenesis(genesis, ownerKeys).catch(() => {
      throw new AdmissionRefusal('bad-signature', 'The genesis is not signed by your directory key, or names other keys than yours');
    });
    for (const a of admissions) await this.checkAdmission(a, keys.get(a.memberId), ownerKeys);
    await this.db.transaction(async (tx) => {
      const room = await this.rooms.lockRoom(tx, roomId);
      const role = room && (await this.rooms.roleIn(tx, roomId, ownerId));
      if (!role) throw new AdmissionRefusal('no-such-room', NOT_IN_ROOM);
      if (role !== 'owner') throw new AdmissionRefusal('invalid-payload', "Only the room's owner signs its genesis");
      const members = new Set(await this.rooms.memberIds(roomId, tx));
      const stranger = memberIds.find((id) => !members.has(id));
      if (stranger) throw new AdmissionRefusal('invalid-payload', `${stranger} is not a member of this room`);
      const inserted: unknown[] = await tx.query(
        `INSERT INTO room_genesis (room_id, creator_id, creator_keys, sig) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING room_id`,
        [roomId, ownerId, genesis.creatorKeys, genesis.sig],
      );
      if (!inserted.length) throw new AdmissionRefusal('invalid-payload', 'This room already has its genesis');
      for (const a of admissions) await this.store(tx, a);
    });
    await this.audit.record({ event: 'room.genesis', actorId: ownerId, details: { roomId, upgraded: memberIds.length } });
    return [ownerId, ...memberIds];
  }

  /**
   * An admitted member admits a pending joiner (or re-admits a current member whose keys no stored
   * admission names) with an admission signed by them, naming the joiner's directory keys. The member
   * row, the admission and the end of the request are one transaction; capacity and the joiner's cap
   * are checked again.
   */
  async grant(admitterId: string, { roomId, admission }: GrantRequestDto): Promise<void> {
    if (admission.roomId !== roomId) throw new AdmissionRefusal('invalid-payload', 'The admission must name this room');
    if (admission.admitterId !== admitterId) throw new AdmissionRefusal('invalid-payload', 'Sign admissions as yourself: admitterId must be your id');
    if (admission.via === 'upgrade') throw new AdmissionRefusal('invalid-payload', "'upgrade' admissions come with the room's genesis only");
    if (admission.memberId === admitterId) throw new AdmissionRefusal('invalid-payload', 'Nobody admits themselves');
    const keys = await this.directoryKeys([admitterId, admission.memberId]);
    await this.checkAdmission(admission, keys.get(admission.memberId), keys.get(admitterId)!);
    const joined = await this.db.transaction(async (tx) => {
      // The joiner's memberships first, then the room: the order a join request takes its locks in.
      await this.rooms.lockMemberships(tx, admission.memberId);
      const room = await this.rooms.lockRoom(tx, roomId);
      if (!room || !(await this.rooms.roleIn(tx, roomId, admitterId))) throw new AdmissionRefusal('no-such-room', NOT_IN_ROOM);
      const admitted = await this.admitted(roomId, tx);
      if (!admitted.has(admitterId)) throw new AdmissionRefusal('not-admitted', 'You are not admitted to this room yourself (no admission names your keys): you cannot admit others');
      const joining = await this.takeRequest(tx, room, admission.memberId);
      if (!joining) {
        if (!(await this.rooms.roleIn(tx, roomId, admission.memberId))) throw new AdmissionRefusal('invalid-payload', `${admission.memberId} has not asked to join this room`);
        if (admitted.has(admission.memberId)) throw new AdmissionRefusal('invalid-payload', `${admission.memberId} is admitted already`);
      }
      await this.store(tx, admission);
      return { code: room.code, joining };
    });
    await this.audit.record({ event: 'room.admitted', actorId: admitterId, details: { roomId, memberId: admission.memberId, via: admission.via } });
    if (joined.joining) this.roomEvents.membership.next({ roomId, code: joined.code, userId: admission.memberId, change: 'joined' });
    this.events.resolved.next({ roomId, code: joined.code, userId: admission.memberId, outcome: 'admitted' });
  }

  /** An admitted member declines a pending joiner: the request ends. */
  async decline(memberId: string, { roomId, userId }: DeclineRequestDto): Promise<void> {
    const code = await this.db.transaction(async (tx) => {
      const room = await this.rooms.lockRoom(tx, roomId);
      if (!room || !(await this.rooms.roleIn(tx, roomId, memberId))) throw new AdmissionRefusal('no-such-room', NOT_IN_ROOM);
      if (!(await this.admitted(roomId, tx)).has(memberId)) {
        throw new AdmissionRefusal('not-admitted', 'You are not admitted to this room yourself (no admission names your keys): you cannot decline others');
      }
      const [deleted]: [unknown[], number] = await tx.query(`DELETE FROM room_join_requests WHERE room_id = $1 AND user_id = $2 RETURNING user_id`, [roomId, userId]);
      if (!deleted.length) throw new AdmissionRefusal('invalid-payload', `${userId} has not asked to join this room`);
      return room.code;
    });
    await this.audit.record({ event: 'room.join_declined', actorId: memberId, details: { roomId, userId } });
    this.events.resolved.next({ roomId, code, userId, outcome: 'declined' });
  }

  /**
   * The server's admitted set: the current members whose stored admission names their current
   * directory keys, and the genesis creator while a member with the keys the genesis names. Empty
   * for a room without a genesis. Read in `tx` when given (under the room's lock, it cannot change).
   */
  async admitted(roomId: string, tx: EntityManager = this.db.manager): Promise<Set<string>> {
    const rows: Array<{ user_id: string; member_keys: string | null; creator_keys: string | null }> = await tx.query(
      `SELECT m.user_id, a.member_keys, g.creator_keys
         FROM room_members m
         JOIN room_genesis g ON g.room_id = m.room_id
         LEFT JOIN room_admissions a ON a.room_id = m.room_id AND a.member_id = m.user_id
        WHERE m.room_id = $1 AND (a.member_id IS NOT NULL OR g.creator_id = m.user_id)`,
      [roomId],
    );
    const keys = await this.directoryKeys(rows.map((r) => r.user_id));
    const admitted = new Set<string>();
    for (const row of rows) {
      const digest = await memberKeysDigest(row.user_id, keys.get(row.user_id)!);
      if (digest === row.member_keys || digest === row.creator_keys) admitted.add(row.user_id);
    }
    return admitted;
  }

  /** The room's genesis, or null when its owner has not signed one yet. */
  async genesisOf(roomId: string): Promise<RoomGenesis | null> {
    const [row] = await this.db.query(`SELECT room_id, creator_id, creator_keys, sig FROM room_genesis WHERE room_id = $1`, [roomId]);
    return row ? { roomId: row.room_id, creatorId: row.creator_id, creatorKeys: row.creator_keys, sig: row.sig } : null;
  }

  /** Every admission of the room, also of members who left (each stays a link in the chain). */
  async admissionsOf(roomId: string): Promise<Admission[]> {
    const rows: AdmissionRow[] = await this.db.query(
      `SELECT room_id, member_id, member_keys, admitter_id, via, admitted_at, sig FROM room_admissions WHERE room_id = $1 ORDER BY admitted_at, member_id`,
      [roomId],
    );
    return rows.map((r) => ({ roomId: r.room_id, memberId: r.member_id, memberKeys: r.member_keys, admitterId: r.admitter_id, via: r.via, admittedAt: Number(r.admitted_at), sig: r.sig }));
  }

  /**
   * Ends the joiner's request, if any, and makes them a member (cap and capacity checked again). A
   * request of someone who is a member already (left from before its join re-checked membership under
   * the locks) is refused, and a full room or the joiner's cap too: 'invalid-payload' with the reason.
   */
  private async takeRequest(tx: EntityManager, room: LockedRoom, userId: string): Promise<boolean> {
    const [deleted]: [unknown[], number] = await tx.query(`DELETE FROM room_join_requests WHERE room_id = $1 AND user_id = $2 RETURNING user_id`, [room.id, userId]);
    if (!deleted.length) return false;
    if (await this.rooms.roleIn(tx, room.id, userId)) throw new AdmissionRefusal('invalid-payload', `${userId} is a member of this room already: decline the request`);
    try {
      await this.rooms.addMember(tx, room, userId);
    } catch (err) {
      if (err instanceof ConflictException) throw new AdmissionRefusal('invalid-payload', err.message);
      throw err;
    }
    return true;
  }

  /** The admission names the member's directory keys and is signed by the admitter's. */
  private async checkAdmission(admission: Admission, memberKeys: PublicKeys | undefined, admitterKeys: PublicKeys): Promise<void> {
    if (!memberKeys || (await memberKeysDigest(admission.memberId, memberKeys)) !== admission.memberKeys) {
      throw new AdmissionRefusal('invalid-payload', `The admission of ${admission.memberId} does not name their directory keys`);
    }
    await verifyAdmission(admission, admitterKeys).catch(() => {
      throw new AdmissionRefusal('bad-signature', `The admission of ${admission.memberId} is not signed by ${admission.admitterId}'s directory key`);
    });
  }

  /** Directory keys by user id, under the ids as the database spells them. */
  private async directoryKeys(userIds: string[]): Promise<Map<string, PublicKeys>> {
    const users = await this.users.findByIds([...new Set(userIds)]);
    return new Map(users.map((u) => [u.id, { enc: u.encPublicKey, sig: u.sigPublicKey }]));
  }

  private async store(tx: EntityManager, a: Admission): Promise<void> {
    await tx.query(
      `INSERT INTO room_admissions (room_id, member_id, member_keys, admitter_id, via, admitted_at, sig) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (room_id, member_id) DO UPDATE SET member_keys = EXCLUDED.member_keys, admitter_id = EXCLUDED.admitter_id, via = EXCLUDED.via,
         admitted_at = EXCLUDED.admitted_at, sig = EXCLUDED.sig`,
      [a.roomId, a.memberId, a.memberKeys, a.admitterId, a.via, a.admittedAt, a.sig],
    );
  }
}

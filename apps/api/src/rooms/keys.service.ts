import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { EpochAnnouncement, KeyBox, KeyMaterial, KeyRequested, PublicKeys, RotateRequest, SocketErrorCode } from '@conclave/contracts';
import { ChatError } from '../realtime/socket-errors.js';
import { importPublicKeys, SignatureError, verifyEpochAnnouncement, verifyKeyBox } from '@conclave/crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { UsersService } from '../auth/users/users.service.js';
import { AdmissionsService } from './membership/admissions.service.js';
import { NOT_IN_ROOM } from './not-in-room.js';

/** Why a key operation was refused: the socket error filter answers it with its code (and the room's current epoch, when given). */
export class KeyRefusal extends ChatError {
  constructor(code: Extract<SocketErrorCode, 'invalid-payload' | 'no-such-room' | 'epoch-conflict' | 'bad-signature' | 'not-admitted'>, message: string, currentEpoch?: number) {
    super(code, message, currentEpoch === undefined ? {} : { currentEpoch });
  }
}

interface BoxRow {
  room_id: string;
  epoch: number;
  recipient_id: string;
  sharer_id: string;
  wrapped: string;
  sig: string;
}

interface EpochRow {
  room_id: string;
  epoch: number;
  maker_id: string;
  commit: string;
  sig: string;
}

/** The epochs a member may read: 1..current in a "shared" room, from the epoch they joined in a "joined" room; none while the room has no key. */
interface Readable {
  first: number;
  current: number;
  keyed: boolean;
}

/**
 * Key boxes, epochs and their announcements (docs/protocol.md §8). The server stores and
 * routes them and checks every signature against its signer's directory key, so it cannot be
 * handed a box or an announcement in a member's name (and cannot make any: it holds no member's
 * private key). It cannot check that a box holds the announced key: browsers do, and a recipient
 * keeps one box per sharer so a wrong box never hides a good one.
 */
@Injectable()
export class KeysService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly users: UsersService,
    private readonly admissions: AdmissionsService,
  ) {}

  /**
   * Makes `epoch` the room's current epoch, with its maker's signed announcement and one box per
   * member, exactly once: the first epoch of a room without a key, or current + 1 (rotation). A
   * second maker of the same epoch is refused.
   */
  async newEpoch(userId: string, roomId: string, epoch: number, boxes: KeyBox[], announcement: EpochAnnouncement): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [room] = await tx.query(`SELECT current_epoch FROM rooms WHERE id = $1 FOR UPDATE`, [roomId]);
      const members = await this.memberIds(tx, roomId);
      if (!room || !members.has(userId)) throw new KeyRefusal('no-such-room', NOT_IN_ROOM);
      const admitted = await this.admitted(roomId, userId, tx);
      const current: number = room.current_epoch;
      const next = (await this.isKeyed(tx, roomId, current)) ? current + 1 : current;
      if (epoch !== next) throw new KeyRefusal('epoch-conflict', `The next epoch of this room is ${next}, not ${epoch}`, current);
      const recipients = new Set(boxes.map((b) => b.recipientId));
      notAdmitted(boxes, admitted);
      if (recipients.size !== boxes.length || recipients.size !== admitted.size || [...admitted].some((m) => !recipients.has(m))) {
        throw new KeyRefusal('invalid-payload', 'A new epoch needs exactly one box for every admitted member');
      }
      if (announcement.roomId !== roomId || announcement.epoch !== epoch || announcement.makerId !== userId) {
        throw new KeyRefusal('invalid-payload', `The announcement must be of epoch ${epoch} of this room, made by you`);
      }
      const makerKeys = await this.directoryKeys(userId);
      await verifyEpochAnnouncement(announcement, makerKeys).catch((err: unknown) => {
        if (err instanceof SignatureError) throw new KeyRefusal('bad-signature', `The announcement of epoch ${epoch} is not signed by its maker`);
        throw new KeyRefusal('invalid-payload', `The announcement of epoch ${epoch} is malformed`);
      });
      await this.checkBoxes(boxes, userId, makerKeys, roomId, (box) => box.epoch === epoch);
      await this.storeBoxes(tx, boxes);
      await tx.query(`INSERT INTO room_epochs (room_id, epoch, maker_id, commit, sig) VALUES ($1, $2, $3, $4, $5)`, [
        roomId,
        epoch,
        userId,
        announcement.commit,
        announcement.sig,
      ]);
      await tx.query(`UPDATE rooms SET current_epoch = $2, rotation_pending = false WHERE id = $1`, [roomId, epoch]);
    });
  }

  /**
   * Records that `userId` needs keys: the epochs they have no box for, and `unusable`, epochs whose
   * boxes their browser could not use (wrong key for the announcement, bad signature), which are
   * asked for again although boxes exist. Returns the epochs asked for (empty: nothing to wait for).
   */
  async request(userId: string, roomId: string, unusable: number[] = []): Promise<number[]> {
    const readable = await this.readable(roomId, userId);
    await this.admitted(roomId, userId); // nobody is asked to share with a member no admission names
    const outside = unusable.find((e) => !readable.keyed || e < readable.first || e > readable.current);
    if (outside !== undefined) {
      const range = readable.keyed ? `epochs ${readable.first} to ${readable.current}` : 'none yet: the room has no key';
      throw new KeyRefusal('invalid-payload', `Epoch ${outside} is not one you can read in this room (${range})`);
    }
    const missing = await this.missingEpochs(roomId, userId, readable);
    // A plain request (no epochs) keeps the doubts recorded before: they are still asked for.
    const [row]: Array<{ unusable_epochs: number[] }> =
      missing.length || unusable.length
        ? await this.db.query(
            `INSERT INTO key_requests (room_id, user_id, unusable_epochs) VALUES ($1, $2, $3::int[])
             ON CONFLICT (room_id, user_id) DO UPDATE
               SET unusable_epochs = ARRAY(SELECT DISTINCT e FROM unnest(key_requests.unusable_epochs || EXCLUDED.unusable_epochs) AS e ORDER BY e)
             RETURNING unusable_epochs`,
            [roomId, userId, unusable],
          )
        : await this.db.query(`SELECT unusable_epochs FROM key_requests WHERE room_id = $1 AND user_id = $2`, [roomId, userId]);
    return [...new Set([...missing, ...(row?.unusable_epochs ?? [])])].sort((a, b) => a - b);
  }

  /**
   * Stores boxes a member shares: signed by the sender, for members of the room, for epochs the
   * sender holds, at most one per recipient and epoch. A sender's box replaces its own earlier one
   * for the same recipient and epoch, never another sharer's. All or nothing: a refused box stores
   * none. Returns how many were stored and, per recipient, the epochs they received.
   */
  async share(userId: string, roomId: string, boxes: KeyBox[]): Promise<{ stored: number; delivered: Map<string, number[]> }> {
    const members = await this.memberIds(this.db.manager, roomId);
    if (!members.has(userId)) throw new KeyRefusal('no-such-room', NOT_IN_ROOM);
    const slots = new Set(boxes.map((b) => `${b.recipientId}/${b.epoch}`));
    if (slots.size !== boxes.length) throw new KeyRefusal('invalid-payload', 'At most one box per recipient and epoch');
    notAdmitted(boxes, await this.admitted(roomId, userId));
    const held = new Set((await this.boxesFor(userId, roomId)).map((b) => b.epoch));
    await this.checkBoxes(boxes, userId, await this.directoryKeys(userId), roomId, (box) => members.has(box.recipientId) && held.has(box.epoch));
    const delivered = new Map<string, number[]>();
    for (const box of boxes) delivered.set(box.recipientId, [...(delivered.get(box.recipientId) ?? []), box.epoch]);
    const stored = await this.db.transaction(async (tx) => {
      const count = await this.storeBoxes(tx, boxes);
      for (const [recipient, epochs] of delivered) {
        // A new box answers the recipient's doubt about that epoch: their browser checks it and asks again if it is no better.
        await tx.query(
          `UPDATE key_requests SET unusable_epochs = ARRAY(SELECT e FROM unnest(unusable_epochs) AS e WHERE e <> ALL($3::int[]) ORDER BY e)
            WHERE room_id = $1 AND user_id = $2`,
          [roomId, recipient, epochs],
        );
      }
      return count;
    });
    for (const recipient of delivered.keys()) {
      const readable = await this.readable(roomId, recipient);
      if ((await this.missingEpochs(roomId, recipient, readable)).length === 0) {
        await this.db.query(`DELETE FROM key_requests WHERE room_id = $1 AND user_id = $2 AND unusable_epochs = '{}'`, [roomId, recipient]);
      }
    }
    return { stored, delivered };
  }

  /** A member's boxes in a room (one per sharer and epoch), with every epoch announcement of the room. */
  async keyMaterial(userId: string, roomId: string): Promise<KeyMaterial> {
    const boxes = await this.boxesFor(userId, roomId);
    const rows: EpochRow[] = await this.db.query(`SELECT room_id, epoch, maker_id, commit, sig FROM room_epochs WHERE room_id = $1 ORDER BY epoch`, [roomId]);
    return { boxes, epochs: rows.map((r) => ({ roomId: r.room_id, epoch: r.epoch, makerId: r.maker_id, commit: r.commit, sig: r.sig })) };
  }

  async boxesFor(userId: string, roomId: string): Promise<KeyBox[]> {
    const rows: BoxRow[] = await this.db.query(
      `SELECT room_id, epoch, recipient_id, sharer_id, wrapped, sig FROM key_boxes WHERE room_id = $1 AND recipient_id = $2 ORDER BY epoch, created_at, sharer_id`,
      [roomId, userId],
    );
    return rows.map(toBox);
  }

  /**
   * Waiting requests in `roomIds` that `userId` can serve (they hold the room's current epoch), each
   * with the epochs the requester lacks or could not use: one query for the requests, one for the
   * requesters' keys.
   */
  async pendingFor(userId: string, roomIds: string[]): Promise<KeyRequested[]> {
    if (!roomIds.length) return [];
    const rows: Array<{ room_id: string; code: string; user_id: string; epochs: number[] }> = await this.db.query(
      `SELECT q.room_id, r.code, q.user_id,
              ARRAY(SELECT e FROM generate_series(CASE WHEN r.history = 'shared' THEN 1 ELSE m.joined_epoch END, r.current_epoch) AS e
                     WHERE e = ANY(q.unusable_epochs)
                        OR NOT EXISTS (SELECT 1 FROM key_boxes h WHERE h.room_id = q.room_id AND h.recipient_id = q.user_id AND h.epoch = e)
                     ORDER BY e) AS epochs
         FROM key_requests q
         JOIN rooms r ON r.id = q.room_id
         JOIN room_members m ON m.room_id = q.room_id AND m.user_id = q.user_id
        WHERE q.room_id = ANY($1) AND q.user_id <> $2
          AND EXISTS (SELECT 1 FROM key_boxes b WHERE b.room_id = q.room_id AND b.recipient_id = $2 AND b.epoch = r.current_epoch)`,
      [roomIds, userId],
    );
    const admitted = new Map<string, Set<string>>();
    for (const roomId of new Set(rows.map((row) => row.room_id))) admitted.set(roomId, await this.admissions.admitted(roomId));
    // Only admitted members are asked, and only for admitted requesters.
    const waiting = rows.filter((row) => row.epochs.length && admitted.get(row.room_id)!.has(userId) && admitted.get(row.room_id)!.has(row.user_id));
    const keys = new Map((await this.users.findByIds([...new Set(waiting.map((row) => row.user_id))])).map((u) => [u.id, { enc: u.encPublicKey, sig: u.sigPublicKey }]));
    return waiting.flatMap((row) => {
      const publicKeys = keys.get(row.user_id);
      return publicKeys ? [{ roomId: row.room_id, code: row.code, requesterId: row.user_id, publicKeys, epochs: row.epochs }] : [];
    });
  }

  /** For a room marked for rotation: the epoch to make and the admitted members (with their keys) to make it for. */
  async rotation(roomId: string): Promise<RotateRequest | undefined> {
    return (await this.rotations([roomId]))[0];
  }

  /** The rotations waiting in `roomIds` (one query when there are none, the usual case). */
  async rotations(roomIds: string[]): Promise<RotateRequest[]> {
    if (!roomIds.length) return [];
    const rooms: Array<{ id: string; code: string; current_epoch: number }> = await this.db.query(
      `SELECT id, code, current_epoch FROM rooms WHERE id = ANY($1) AND rotation_pending`,
      [roomIds],
    );
    const result: RotateRequest[] = [];
    for (const room of rooms) {
      const users = await this.users.findByIds([...(await this.admissions.admitted(room.id))]);
      const members = users.map((u) => ({ userId: u.id, publicKeys: { enc: u.encPublicKey, sig: u.sigPublicKey } }));
      result.push({ roomId: room.id, code: room.code, nextEpoch: room.current_epoch + 1, members });
    }
    return result;
  }

  private async readable(roomId: string, userId: string): Promise<Readable> {
    const [room] = await this.db.query(
      `SELECT r.current_epoch, r.history, m.joined_epoch FROM rooms r JOIN room_members m ON m.room_id = r.id AND m.user_id = $2 WHERE r.id = $1`,
      [roomId, userId],
    );
    if (!room) throw new KeyRefusal('no-such-room', NOT_IN_ROOM);
    return { first: room.history === 'shared' ? 1 : room.joined_epoch, current: room.current_epoch, keyed: await this.isKeyed(this.db.manager, roomId, room.current_epoch) };
  }

  /** Epochs the member may read but has no box for (none while nobody holds a key: the first epoch is made, not shared). */
  private async missingEpochs(roomId: string, userId: string, readable: Readable): Promise<number[]> {
    if (!readable.keyed) return [];
    const have = new Set((await this.boxesFor(userId, roomId)).map((b) => b.epoch));
    const epochs = [];
    for (let e = readable.first; e <= readable.current; e++) if (!have.has(e)) epochs.push(e);
    return epochs;
  }

  private async isKeyed(tx: EntityManager, roomId: string, epoch: number): Promise<boolean> {
    const [{ keyed }] = await tx.query(`SELECT EXISTS (SELECT 1 FROM key_boxes WHERE room_id = $1 AND epoch = $2) AS keyed`, [roomId, epoch]);
    return keyed;
  }

  private async directoryKeys(userId: string): Promise<PublicKeys> {
    const [user] = await this.users.findByIds([userId]);
    return { enc: user!.encPublicKey, sig: user!.sigPublicKey };
  }

  private async checkBoxes(boxes: KeyBox[], sharerId: string, sharerKeys: PublicKeys, roomId: string, allowed: (box: KeyBox) => boolean): Promise<void> {
    const sharerSig = (await importPublicKeys(sharerKeys)).sig;
    for (const box of boxes) {
      if (box.roomId !== roomId || box.sharerId !== sharerId || !allowed(box)) {
        throw new KeyRefusal('invalid-payload', `The box for ${box.recipientId}, epoch ${box.epoch}, does not belong in this request`);
      }
      await verifyKeyBox(box, sharerSig).catch((err: unknown) => {
        if (err instanceof SignatureError) throw new KeyRefusal('bad-signature', `The box for ${box.recipientId}, epoch ${box.epoch}, is not signed by its sharer`);
        throw new KeyRefusal('invalid-payload', `The box for ${box.recipientId}, epoch ${box.epoch}, is malformed`);
      });
    }
  }

  /** Stores boxes, one per (room, epoch, recipient, sharer): a sharer's new box replaces its own. Returns how many rows were written. */
  private async storeBoxes(tx: EntityManager, boxes: KeyBox[]): Promise<number> {
    let stored = 0;
    for (const b of boxes) {
      const rows: unknown[] = await tx.query(
        `INSERT INTO key_boxes (room_id, epoch, recipient_id, sharer_id, wrapped, sig) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (room_id, epoch, recipient_id, sharer_id) DO UPDATE SET wrapped = EXCLUDED.wrapped, sig = EXCLUDED.sig, created_at = now()
         RETURNING 1`,
        [b.roomId, b.epoch, b.recipientId, b.sharerId, b.wrapped, b.sig],
      );
      stored += rows.length;
    }
    return stored;
  }

  /** The room's admitted set (AdmissionsService); 'not-admitted' when `userId` is not in it. */
  private async admitted(roomId: string, userId: string, tx?: EntityManager): Promise<Set<string>> {
    const admitted = await this.admissions.admitted(roomId, tx);
    if (!admitted.has(userId)) throw new KeyRefusal('not-admitted', 'You are not admitted to this room (no admission names your keys yet): no key is made, shared or asked for you');
    return admitted;
  }

  private async memberIds(tx: EntityManager, roomId: string): Promise<Set<string>> {
    const rows: Array<{ user_id: string }> = await tx.query(`SELECT user_id FROM room_members WHERE room_id = $1`, [roomId]);
    return new Set(rows.map((r) => r.user_id));
  }
}

/** Boxes only for admitted members: a box for anyone else refuses the whole request. */
function notAdmitted(boxes: KeyBox[], admitted: Set<string>): void {
  const stranger = boxes.find((b) => !admitted.has(b.recipientId));
  if (stranger) throw new KeyRefusal('not-admitted', `${stranger.recipientId} is not admitted to this room: no key box is stored for them`);
}

function toBox(row: BoxRow): KeyBox {
  return { roomId: row.room_id, epoch: row.epoch, recipientId: row.recipient_id, sharerId: row.sharer_id, wrapped: row.wrapped, sig: row.sig };
}

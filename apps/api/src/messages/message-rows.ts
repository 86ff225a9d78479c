import type { RoomNotice, StoredMessage } from '@conclave/contracts';

/** What a row of the room's log is (docs/protocol.md §9a): a message, a membership line, a deletion. */
export type EntryKind = 'message' | 'joined' | 'left' | 'removed' | 'deletion';

/** A messages row as pg returns it. iv, ct and sig are NULL for anything but a message not deleted. */
export interface MessageRow {
  room_id: string;
  seq: string;
  sender_id: string;
  epoch: number;
  client_msg_id: string;
  iv: string | null;
  ct: string | null;
  sig: string | null;
  created_at: Date;
  file_id: string | null;
  kind: EntryKind;
  edit_of: string | null;
  target_seq: string | null;
  deleted_at: Date | null;
}

export const COLUMNS = 'room_id, seq, sender_id, epoch, client_msg_id, iv, ct, sig, created_at, file_id, kind, edit_of, target_seq, deleted_at';

/**
 * Stores a batch of envelopes in one statement, so one round trip and one commit for all of them.
 * $1..$9 are parallel arrays (room, sender, clientMsgId, epoch, iv, ct, sig, fileId or NULL, editOf or NULL). An envelope is
 * accepted when its epoch is the room's current one and no rotation is pending (someone left: the
 * leaver holds that key), its sender holds a key box for that epoch and its clientMsgId is new; each room's last_seq moves by the number accepted for it (the row lock
 * orders concurrent writers, and the epoch is checked again under that lock), and they take the
 * following seqs in batch order; the same statement sets rooms.last_activity_at (the admin API's
 * sort key), so storing a message costs no second write. A resend gets its stored row back (duplicate). Envelopes missing
 * from the result were refused. Two copies of one clientMsgId in flight at once fail on the unique
 * key and roll the whole statement back, so no seq is ever skipped.
 * It reads rooms and key_boxes (the rooms module's tables): separate queries per message were the
 * send path's main cost (README "Performance").
 * A file message (docs/protocol.md §10.2) is accepted only when its file is the sender's own upload,
 * completely stored, in the same room and carried by no message yet, checked for that envelope's own
 * row (by its ordinal: another envelope naming the same file in the batch proves nothing for it); those files rows are locked
 * (FOR UPDATE: a concurrent sweep waits, then finds them attached) and get the message's seq in the
 * same statement, so storing the message and attaching the file are one commit. It reads and writes
 * files (the files module's table) for the same reason it reads rooms. Two messages naming one file
 * in a batch both pass the check and fail on messages_file_id_key: the one-at-a-time path then
 * refuses the second.
 * An edit (docs/protocol.md §9b) is accepted only when the message it names is the sender's own text
 * message in the same room, not deleted and not an edit itself; that row is locked (FOR UPDATE, after
 * the rooms and files), so a deletion committed while this statement waited is seen and the edit
 * refused: no edit's ciphertext outlives the deletion of its original.
 * Lock order, so that two instances storing batches for the same rooms cannot deadlock (each would
 * otherwise lock rows in the order of its own batch): first every room the batch names, accepted or
 * not, by id (locked_rooms; `input` reads its count, so it is run before anything else touches a
 * room or a file), then the attachable files, by id (a row is locked as the sort returns it). A
 * room's deletion (the last member leaving, an admin's deletion) takes the same order: the room, then its files.
 * The rooms are locked FOR NO KEY UPDATE, the strength the UPDATE of last_seq takes anyway: it does
 * not wait for (nor hold up) the key-share locks of rows inserted that refer to the room (uploads,
 * joins, key boxes).
 */
export const STORE_BATCH = `
  WITH locked_rooms AS MATERIALIZED (
    SELECT id FROM rooms WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE
  ), input AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::text[], $7::text[], $8::uuid[], $9::bigint[]) WITH ORDINALITY
      AS i (room_id, sender_id, client_msg_id, epoch, iv, ct, sig, file_id, edit_of, ord)
     WHERE (SELECT count(*) FROM locked_rooms) >= 0
  ), attachable AS (
    SELECT i.ord FROM input i JOIN files f ON f.id = i.file_id
     WHERE f.room_id = i.room_id AND f.uploader_id = i.sender_id AND f.state = 'stored' AND f.message_seq IS NULL
     ORDER BY f.id
       FOR UPDATE OF f
  ), editable AS (
    SELECT i.ord FROM input i JOIN messages o ON o.room_id = i.room_id AND o.seq = i.edit_of
     WHERE o.sender_id = i.sender_id AND o.kind = 'message' AND o.deleted_at IS NULL AND o.edit_of IS NULL AND o.file_id IS NULL
     ORDER BY o.room_id, o.seq
       FOR UPDATE OF o
  ), earlier AS (
    SELECT m.* FROM input i JOIN messages m ON m.room_id = i.room_id AND m.sender_id = i.sender_id AND m.client_msg_id = i.client_msg_id
  ), accepted AS (
    SELECT i.*, row_number() OVER (PARTITION BY i.room_id ORDER BY i.ord) AS n
      FROM input i JOIN rooms r ON r.id = i.room_id AND r.current_epoch = i.epoch AND NOT r.rotation_pending
     WHERE NOT EXISTS (SELECT 1 FROM earlier e WHERE e.room_id = i.room_id AND e.sender_id = i.sender_id AND e.client_msg_id = i.client_msg_id)
       AND EXISTS (SELECT 1 FROM key_boxes b WHERE b.room_id = i.room_id AND b.recipient_id = i.sender_id AND b.epoch = i.epoch)
       AND (i.file_id IS NULL OR i.ord IN (SELECT ord FROM attachable))
       AND (i.edit_of IS NULL OR i.ord IN (SELECT ord FROM editable))
  ), slot AS (
    UPDATE rooms r SET last_seq = r.last_seq + c.accepted, last_activity_at = now()
      FROM (SELECT room_id, epoch, count(*) AS accepted FROM accepted GROUP BY room_id, epoch) c
     WHERE r.id = c.room_id AND r.current_epoch = c.epoch AND NOT r.rotation_pending
    RETURNING r.id, r.last_seq - c.accepted AS base
  ), inserted AS (
    INSERT INTO messages (room_id, seq, sender_id, epoch, client_msg_id, iv, ct, sig, file_id, edit_of)
    SELECT a.room_id, s.base + a.n, a.sender_id, a.epoch, a.client_msg_id, a.iv, a.ct, a.sig, a.file_id, a.edit_of FROM accepted a JOIN slot s ON s.id = a.room_id
    RETURNING ${COLUMNS}
  ), attached AS (
    UPDATE files f SET message_seq = m.seq FROM inserted m WHERE f.id = m.file_id
  )
  SELECT false AS duplicate, ${COLUMNS} FROM inserted UNION ALL SELECT true, ${COLUMNS} FROM earlier`;

/**
 * Appends a membership line to a room's log under its next seq ($1 room, $2 the member, $3 the
 * change). Nothing when the room is gone (deleted with its last member). The room's row lock orders
 * it with message batches and deletions.
 */
export const APPEND_NOTICE = `
  WITH slot AS (
    UPDATE rooms SET last_seq = last_seq + 1 WHERE id = $1 RETURNING id, last_seq, current_epoch
  )
  INSERT INTO messages (room_id, seq, sender_id, epoch, client_msg_id, kind)
  SELECT id, last_seq, $2, current_epoch, gen_random_uuid(), $3 FROM slot
  RETURNING ${COLUMNS}`;

/**
 * Deletes message $3 of sender $2 in room $1 with its edits (docs/protocol.md §9c), run in a
 * transaction after the room's row is locked (LOCK_ROOM), so it sees every edit committed before:
 * their iv, ct and sig are cleared (the rows keep their places in the log), the file a deleted
 * message carried is handed to the files sweeper ('deleting': it removes the blob; the files
 * module's table, written here for the reason STORE_BATCH writes it), and a 'deletion' entry takes
 * the next seq so clients that saw the message learn of it on resync. Returns no row when there is
 * no such message to delete.
 */
export const DELETE_MESSAGE = `
  WITH target AS MATERIALIZED (
    SELECT seq, file_id FROM messages
     WHERE room_id = $1 AND seq = $3 AND sender_id = $2 AND kind = 'message' AND edit_of IS NULL AND deleted_at IS NULL
  ), wiped AS (
    UPDATE messages m SET iv = NULL, ct = NULL, sig = NULL, deleted_at = now()
      FROM target t WHERE m.room_id = $1 AND (m.seq = t.seq OR m.edit_of = t.seq) AND m.deleted_at IS NULL
    RETURNING m.seq
  ), released AS (
    UPDATE files f SET state = 'deleting' FROM target t WHERE f.id = t.file_id
  ), slot AS (
    UPDATE rooms r SET last_seq = r.last_seq + 1 FROM target WHERE r.id = $1 RETURNING r.last_seq, r.current_epoch
  )
  INSERT INTO messages (room_id, seq, sender_id, epoch, client_msg_id, kind, target_seq)
  SELECT $1, last_seq, $2, current_epoch, gen_random_uuid(), 'deletion', $3 FROM slot
  RETURNING ${COLUMNS}`;

export const LOCK_ROOM = `SELECT id FROM rooms WHERE id = $1 FOR NO KEY UPDATE`;

/** A row that holds a readable message. */
export const isMessage = (row: MessageRow) => row.kind === 'message' && row.deleted_at === null;

export function toMessage(row: MessageRow): StoredMessage {
  return {
    roomId: row.room_id,
    seq: Number(row.seq),
    senderId: row.sender_id,
    epoch: row.epoch,
    clientMsgId: row.client_msg_id,
    iv: row.iv!,
    ct: row.ct!,
    sig: row.sig!,
    createdAt: row.created_at.toISOString(),
    ...(row.file_id ? { fileId: row.file_id } : {}),
    ...(row.edit_of ? { editOf: Number(row.edit_of) } : {}),
  };
}

/** Any other row, as the notice clients receive. */
export function toNotice(row: MessageRow): RoomNotice {
  const base = { roomId: row.room_id, seq: Number(row.seq), createdAt: row.created_at.toISOString(), userId: row.sender_id };
  if (row.kind === 'deletion') return { ...base, kind: 'deletion', target: Number(row.target_seq) };
  if (row.kind === 'message') return { ...base, kind: 'deleted', ...(row.edit_of ? { editOf: Number(row.edit_of) } : {}) };
  return { ...base, kind: row.kind };
}

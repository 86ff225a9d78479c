import type { RoomListKey } from '../../rooms/admin-rooms.service.js';
import { decodeCursor, encodeCursor, MICROSECOND_TIME_SHAPE, UUID_SHAPE } from '../cursor.js';

/** The rooms list's cursor: the last row's last activity (to the microsecond) and id. */
export function encodeRoomCursor(key: RoomListKey): string {
  return encodeCursor({ a: key.activity, i: key.id });
}

/** The key of a cursor the rooms list gave out; undefined for anything else (a date that does not exist included). */
export function decodeRoomCursor(cursor: unknown): RoomListKey | undefined {
  const key = decodeCursor(cursor, { a: MICROSECOND_TIME_SHAPE, i: UUID_SHAPE });
  if (!key) return undefined;
  const ms = Date.parse(`${key.a.slice(0, 23)}Z`);
  // 31 February rolls over to March in JavaScript, and PostgreSQL would refuse it: not a time this list wrote.
  if (!(ms >= 0) || new Date(ms).toISOString().slice(0, 19) !== key.a.slice(0, 19)) return undefined;
  return { activity: key.a, id: key.i };
}

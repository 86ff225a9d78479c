import type { RoomSummary, RoomUpdated } from '@conclave/contracts';

/** The room list with one room's settings as 'room:updated' (or the owner's own change) gives them; other rooms, and the caller's role and unread count, as they were. */
export function withRoomUpdate(rooms: RoomSummary[], { roomId, name, maxMembers, hasPassword }: RoomUpdated): RoomSummary[] {
  return rooms.map((room) => (room.id === roomId ? { ...room, name, maxMembers, hasPassword } : room));
}

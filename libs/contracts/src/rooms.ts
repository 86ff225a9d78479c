import type { PublicKeys } from './e2e.js';

/** Room codes: 4 characters from an alphabet without look-alikes (no 0/O, 1/I/L), drawn with a CSPRNG. */
export const ROOM_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const ROOM_CODE_PATTERN = /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}$/;
export const ROOM_NAME_MAX_CHARS = 64;
/** A room holds at most this many members; maxMembers may lower it (2 at least). */
export const ROOM_MEMBERS_MAX = 1000;

/** "shared": joiners also get earlier epochs (they can read history); "joined": only from their join on. */
export type RoomHistory = 'shared' | 'joined';
export type RoomRole = 'owner' | 'member';

export const ROOM_PATHS = {
  rooms: '/api/rooms',
  room: (code: string) => `/api/rooms/${encodeURIComponent(code)}`,
  join: (code: string) => `/api/rooms/${encodeURIComponent(code)}/join`,
  leave: (code: string) => `/api/rooms/${encodeURIComponent(code)}/leave`,
  removeMember: (code: string, userId: string) => `/api/rooms/${encodeURIComponent(code)}/members/${encodeURIComponent(userId)}/remove`,
} as const;

/** POST /api/rooms */
export interface CreateRoomRequest {
  name: string;
  /** Optional room password (stored with bcrypt); joiners must give it. */
  password?: string;
  /** 2..ROOM_MEMBERS_MAX; omitted: ROOM_MEMBERS_MAX. */
  maxMembers?: number;
  history: RoomHistory;
}

/** POST /api/rooms/:code/join */
export interface JoinRoomRequest {
  password?: string;
}

/** A room as the dashboard lists it. */
export interface RoomSummary {
  id: string;
  code: string;
  name: string;
  history: RoomHistory;
  maxMembers: number;
  hasPassword: boolean;
  memberCount: number;
  /** The caller's role. */
  role: RoomRole;
  /** The key epoch messages must use now. */
  currentEpoch: number;
  /** Messages after the caller's read marker. */
  unread: number;
}

export interface RoomMember {
  id: string;
  username: string;
  role: RoomRole;
  joinedAt: string;
  publicKeys: PublicKeys;
}

/** GET /api/rooms/:code (members only) */
export interface RoomDetail extends RoomSummary {
  members: RoomMember[];
}

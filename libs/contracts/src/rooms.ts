import type { PublicKeys } from './e2e.js';
import type { Admission, JoinRequest, PendingRoom, RoomGenesis } from './membership.js';

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
  /** GET (members): RoomDetail; PATCH (owner): UpdateRoomRequest → RoomSummary. */
  room: (code: string) => `/api/rooms/${encodeURIComponent(code)}`,
  join: (code: string) => `/api/rooms/${encodeURIComponent(code)}/join`,
  leave: (code: string) => `/api/rooms/${encodeURIComponent(code)}/leave`,
  removeMember: (code: string, userId: string) => `/api/rooms/${encodeURIComponent(code)}/members/${encodeURIComponent(userId)}/remove`,
  /** GET: the rooms the caller asked to join and is not admitted to yet (PendingRoom[]). */
  pending: '/api/rooms/pending',
  /** POST: withdraw one's own pending join request. */
  cancelJoin: (code: string) => `/api/rooms/${encodeURIComponent(code)}/join/cancel`,
  /** PUT (owner): SetRoomPasswordRequest (sets or changes it); DELETE (owner): the room has no password from now on. */
  password: (code: string) => `/api/rooms/${encodeURIComponent(code)}/password`,
  /** POST (members): CreateInviteRequest → InviteSummary; GET (members): InviteSummary[]. */
  invites: (code: string) => `/api/rooms/${encodeURIComponent(code)}/invites`,
  /** POST (its creator or the owner): the invite admits nobody from now on. */
  revokeInvite: (code: string, inviteId: string) => `/api/rooms/${encodeURIComponent(code)}/invites/${encodeURIComponent(inviteId)}/revoke`,
} as const;

/** The web app's route an invite link opens: https://HOST/join/CODE#SECRET (the secret, in the fragment, never reaches a server). */
export const INVITE_LINK_PATH = (code: string) => `/join/${encodeURIComponent(code)}`;

/** POST /api/rooms */
export interface CreateRoomRequest {
  name: string;
  /**
   * The room will have a password: nobody can join until the owner's browser has set it
   * (ROOM_PATHS.password, after the room's genesis and first epoch). The password never reaches the server.
   */
  withPassword?: boolean;
  /** 2..ROOM_MEMBERS_MAX; omitted: ROOM_MEMBERS_MAX. */
  maxMembers?: number;
  history: RoomHistory;
}

/**
 * POST /api/rooms/:code/join. A code alone asks for approval. A password room needs joinKey (the
 * server's gate) and takes the password proof (a member's browser admits without asking anyone).
 * An invite replaces the password and the approval: its id is the server's gate, its proof a member's browser checks.
 */
export interface JoinRoomRequest {
  /** deriveRoomPassword(password, code).joinKey, base64 of 32 bytes. */
  joinKey?: string;
  /** With joinKey: joinProof(admitKey, code, me). */
  proof?: string;
  invite?: { id: string; proof: string };
}

/**
 * PATCH /api/rooms/:code (owner): the room's settings; at least one field. The password has its own
 * route (ROOM_PATHS.password), since only the owner's browser can derive what the server keeps of it.
 */
export interface UpdateRoomRequest {
  /** 1..ROOM_NAME_MAX_CHARS characters (trimmed). */
  name?: string;
  /** 2..ROOM_MEMBERS_MAX, and not below the room's current number of members (409). */
  maxMembers?: number;
}

/** s→c 'room:updated', to every member's sockets: the owner changed the room's name, member limit or password. */
export interface RoomUpdated {
  roomId: string;
  code: string;
  name: string;
  maxMembers: number;
  hasPassword: boolean;
}

/** The answer to a join: already a member, or now waiting for a member's browser to admit. */
export type JoinResult = { status: 'member'; room: RoomSummary } | { status: 'pending'; room: PendingRoom };

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
  /** Messages of others after the caller's read marker (not membership lines, edits or deletions). */
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
  /** Current members as the server reports them (it may exclude; it cannot include: browsers check admissions). */
  members: RoomMember[];
  /** null for a room made before v2 that its owner has not opened since (or a new room before its creator's browser signed it). */
  genesis: RoomGenesis | null;
  /** Every admission of the room, also of members who left (an admission stays valid as an admitter's link in the chain). */
  admissions: Admission[];
  /** Join requests waiting for a member's browser. */
  pending: JoinRequest[];
}

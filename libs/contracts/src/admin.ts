/**
 * The integrators' admin API (README "Administration"): site admins and API tokens manage metadata,
 * never content. No route adds a member, grants a key or opens history; removing a member, blocking
 * joins and deleting a room only exclude.
 */

import type { ErrorResponse } from './auth.js';

/** Every admin route lives under this prefix (versioned: a breaking change is /v2). */
export const ADMIN_API_PREFIX = 'api/admin/v1';

/** Prometheus scrape path (a token with metrics:read, or the METRICS_ADDRESS listener without one). */
export const METRICS_PATH = '/metrics';

/** Controller-relative paths under ADMIN_API_PREFIX (Nest route syntax). */
export const ADMIN_PATHS = {
  rooms: 'rooms',
  room: 'rooms/:code',
  roomMembers: 'rooms/:code/members',
  roomMember: 'rooms/:code/members/:userId',
  /** PUT {blocked}: block or unblock new joins (requests, invites, passwords, admissions). */
  roomJoins: 'rooms/:code/joins',
  /** PUT {userId}: hand the room to one of its members. */
  roomOwner: 'rooms/:code/owner',
  jobs: 'jobs',
  job: 'jobs/:jobId',
  users: 'users',
  user: 'users/:userId',
  userDisable: 'users/:userId/disable',
  userEnable: 'users/:userId/enable',
  userSessions: 'users/:userId/sessions',
  /** PUT {admin}: grant or revoke site admin (an admin's session only, never a token). */
  userAdmin: 'users/:userId/admin',
  tokens: 'tokens',
  token: 'tokens/:tokenId',
  audit: 'audit',
} as const;

export const API_TOKEN_SCOPES = ['rooms:read', 'rooms:write', 'users:read', 'users:write', 'audit:read', 'metrics:read'] as const;
export type ApiTokenScope = (typeof API_TOKEN_SCOPES)[number];

/** `cnk_<id>_<secret>`: id is 32 hex digits (the row's uuid without dashes), secret 32 random bytes in base64url. */
export const API_TOKEN_PATTERN = /^cnk_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;
/** A token must expire, at most this many days after it is made. */
export const API_TOKEN_MAX_DAYS = 365;
export const API_TOKEN_NAME_MAX = 64;
/** last_used_at / last_used_ip are written at most this often per token. */
export const API_TOKEN_LAST_USED_GRANULARITY_MS = 60_000;

export const ADMIN_PAGE_DEFAULT = 50;
export const ADMIN_PAGE_MAX = 200;

/** A page of a keyset-paginated list: pass nextCursor back as `cursor` for the next page; null at the end. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** GET rooms: ?limit=&cursor=&q= (q matches the code exactly or the name, case-insensitively); newest activity first. */
export interface AdminRoomSummary {
  id: string;
  code: string;
  name: string;
  ownerId: string;
  ownerUsername: string;
  memberCount: number;
  joinsBlocked: boolean;
  createdAt: string;
  lastActivityAt: string;
}

export interface AdminRoomDetail extends AdminRoomSummary {
  pendingCount: number;
  maxMembers: number;
  hasPassword: boolean;
  history: 'shared' | 'joined';
  currentEpoch: number;
  messageCount: number;
  fileCount: number;
  fileBytes: number;
}

export interface AdminRoomMember {
  id: string;
  username: string;
  role: 'owner' | 'member';
  joinedAt: string;
}

export interface SetJoinsBlockedRequest {
  blocked: boolean;
}

export interface TransferOwnershipRequest {
  /** A current member of the room. */
  userId: string;
}

/** Room deletion runs as a job: 202 with this, then GET jobs/:jobId until state is 'succeeded' or 'failed'. */
export interface AdminJob {
  id: string;
  kind: 'room-deletion';
  state: 'queued' | 'running' | 'succeeded' | 'failed';
  /** The room's id and code (the room itself is gone once the job has run). */
  target: { roomId: string; code: string };
  createdAt: string;
  finishedAt: string | null;
  /** When succeeded: what was removed. */
  result: { members: number; messages: number; files: number; fileBytes: number } | null;
  error: string | null;
}

/** GET users: ?limit=&cursor=&q= (q: a username prefix); by username. */
export interface AdminUserSummary {
  id: string;
  username: string;
  admin: boolean;
  disabled: boolean;
  createdAt: string;
  lastSeenAt: string | null;
}

export interface AdminUserDetail extends AdminUserSummary {
  disabledAt: string | null;
  /** Live sessions (signed-in browsers). */
  sessions: number;
  rooms: Array<{ id: string; code: string; name: string; role: 'owner' | 'member' }>;
}

export interface SetAdminRequest {
  admin: boolean;
}

export interface CreateApiTokenRequest {
  name: string;
  scopes: ApiTokenScope[];
  /** ISO time, in the future and at most API_TOKEN_MAX_DAYS away. */
  expiresAt: string;
}

export interface ApiTokenSummary {
  id: string;
  name: string;
  scopes: ApiTokenScope[];
  createdBy: { id: string; username: string };
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  revokedAt: string | null;
  /** Usable now: not revoked, not expired, its creator still an enabled admin. */
  active: boolean;
}

/** The one time the secret is shown. */
export interface CreatedApiToken extends ApiTokenSummary {
  token: string;
}

/** GET audit: ?actor=&action=&target=&from=&to=&limit=&cursor=; newest first. */
export interface AuditRecord {
  id: string;
  at: string;
  /** e.g. auth.login, room.member_removed, admin.call. */
  action: string;
  actorId: string | null;
  /** The API token that acted, when one did. */
  tokenId: string | null;
  target: string | null;
  ip: string | null;
  details: Record<string, string | number | boolean | null>;
}

/** Every error of the API, admin routes included: ErrorResponse with its always-present fields. */
export type ErrorBody = Required<Pick<ErrorResponse, 'statusCode' | 'error' | 'message'>>;

/** A disabled account's refusal: signing in (403) and any request of a session it still holds (401). */
export const ACCOUNT_DISABLED_MESSAGE = 'This account has been disabled by an administrator';

/** The 409 of a join request, invite or password join (and the refusal of an admission) while an administrator has blocked a room's joins. */
export const JOINS_BLOCKED_MESSAGE = 'New members cannot join this room: an administrator has blocked joins';

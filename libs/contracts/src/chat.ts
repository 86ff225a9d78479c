import type { MessageEnvelope } from './e2e.js';

/** Socket.IO path (the default); the socket connects with wss:// on the app's own origin. */
export const SOCKET_PATH = '/socket.io';

/** Heartbeat: a ping every 10 s, and 5 s to answer it. */
export const SOCKET_PING_INTERVAL_MS = 10_000;
export const SOCKET_PING_TIMEOUT_MS = 5_000;

/** Every event name, in one place. Client → server events take an acknowledgement callback. */
export const CHAT_EVENTS = {
  /** c→s: start receiving a room's live events. Ack: EnterRoomResult. */
  enter: 'room:enter',
  /** c→s: stop receiving them. Ack: { ok: true }. */
  leave: 'room:leave',
  /** c→s: I am (or stopped) typing in a room. No ack. */
  typing: 'room:typing',
  /** s→c: someone is typing in a room I entered. */
  typingNotice: 'room:typing',
  /** s→c: who is in a room's live channel now. */
  roster: 'room:roster',
  /** s→c: I was removed from a room (or it was deleted): its live channel is closed to me. */
  removed: 'room:removed',
  /** s→c, once after connecting: who is online among the people I share a room with. */
  online: 'roster:online',
  /** s→c: one of them came online or went offline. */
  presence: 'roster:presence',
  /** c→s: store and relay an encrypted message (MessageEnvelope). Ack: SendResult, only once stored. */
  send: 'message:send',
  /** s→c: a new message in a room I entered (StoredMessage). */
  message: 'message:new',
  /** c→s: a page of history, newest first. Ack: HistoryPage. */
  history: 'message:history',
  /** c→s: everything after the last sequence number I saw, oldest first. Ack: HistoryPage. */
  resync: 'message:resync',
  /** c→s: I have read up to seq (moves my unread marker). Ack: { seq }. */
  read: 'room:read',
  /** s→c: a message was refused for its rate; says when to retry. */
  rateLimited: 'rate-limited',
  /** s→c: a request failed; carries a code. */
  error: 'chat:error',
  /** s→c: the session ended (sign-out, password change, expiry): the socket is about to close. */
  sessionEnded: 'session:ended',
} as const;

export type SocketErrorCode =
  | 'unauthorized'
  | 'invalid-payload'
  | 'no-such-room'
  | 'not-member'
  | 'not-entered'
  | 'stale-epoch'
  | 'rate-limited'
  | 'server-error';

/** Messages per page of history, and the most a resync returns at once. */
export const HISTORY_PAGE_SIZE = 50;
export const RESYNC_MAX = 500;

/** s→c 'chat:error', and the { error } of a failed acknowledgement. */
export interface SocketError {
  code: SocketErrorCode;
  message: string;
  /** The event that failed. */
  event: string;
}

export interface RoomRef {
  /** The room's 4-character code. */
  code: string;
}

export interface EnterRoomResult {
  roomId: string;
  code: string;
  currentEpoch: number;
  /** The room's last sequence number (resync from your own last seen one). */
  lastSeq: number;
}

export interface TypingNotice {
  code: string;
  userId: string;
  username: string;
  typing: boolean;
}

export interface RosterEntry {
  userId: string;
  username: string;
}

export interface RoomRoster {
  code: string;
  present: RosterEntry[];
}

export interface OnlineRoster {
  online: RosterEntry[];
}

export interface PresenceChange extends RosterEntry {
  online: boolean;
}

export interface RoomRemoved {
  code: string;
  reason: 'left' | 'removed';
}

export interface SessionEnded {
  reason: string;
}

/** An acknowledgement: the result, or the error. */
export type Ack<T> = { ok: true; result: T } | { ok: false; error: SocketError };

export interface SendResult {
  seq: number;
  createdAt: string;
  /** True when this clientMsgId was already stored (a resend): nothing new was stored. */
  duplicate: boolean;
}

/** c→s 'message:history': before = a seq to page back from (omit for the newest page). */
export interface HistoryRequest {
  roomId: string;
  before?: number;
}

/** c→s 'message:resync' */
export interface ResyncRequest {
  roomId: string;
  afterSeq: number;
}

export interface HistoryPage {
  messages: StoredMessage[];
  /** More messages exist beyond this page. */
  more: boolean;
}

export interface ReadRequest {
  roomId: string;
  seq: number;
}

/** s→c 'rate-limited' */
export interface RateLimited {
  retryAfterMs: number;
  message: string;
}

/** s→c 'chat:error' with code 'stale-epoch' carries the epoch to re-encrypt under. */
export interface StaleEpoch extends SocketError {
  code: 'stale-epoch';
  currentEpoch: number;
}

/** A message as members receive it. */
export interface StoredMessage extends MessageEnvelope {
  senderId: string;
  seq: number;
  createdAt: string;
}

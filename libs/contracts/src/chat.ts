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
  /** s→c: a request failed; carries a code. */
  error: 'chat:error',
  /** s→c: the session ended (sign-out, password change, expiry): the socket is about to close. */
  sessionEnded: 'session:ended',
} as const;

export type SocketErrorCode = 'unauthorized' | 'invalid-payload' | 'no-such-room' | 'not-member' | 'not-entered' | 'rate-limited' | 'server-error';

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

/** A message as members receive it. */
export interface StoredMessage extends MessageEnvelope {
  senderId: string;
  seq: number;
  createdAt: string;
}

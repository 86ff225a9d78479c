import type { KeyBox, MessageEnvelope, PublicKeys } from './e2e.js';
import type { EpochAnnouncement } from './membership.js';

/** Socket.IO path (the default); the socket connects with wss:// on the app's own origin. */
export const SOCKET_PATH = '/socket.io';

/** Heartbeat: a ping every 10 s, and 5 s to answer it. */
export const SOCKET_PING_INTERVAL_MS = 10_000;
export const SOCKET_PING_TIMEOUT_MS = 5_000;

/** Every event name, in one place. Client → server events take an acknowledgement callback. */
export const CHAT_EVENTS = {
  /** c→s: start receiving a room's live events. Ack: EnterRoomResult. */
  enter: 'room:enter',
  /** c→s: stop receiving them (the live channel only; leaving the room is REST). Ack: { code }. */
  leave: 'room:leave',
  /** c→s: I am (or stopped) typing in a room. No ack. */
  typing: 'room:typing',
  /** s→c: someone is typing in a room I entered. */
  typingNotice: 'room:typing',
  /** s→c: who is in a room's live channel now. */
  roster: 'room:roster',
  /** s→c: I was removed from a room (or it was deleted): its live channel is closed to me. */
  removed: 'room:removed',
  /** s→c: the owner changed a room of mine: its name, member limit or password (RoomUpdated). */
  roomUpdated: 'room:updated',
  /** s→c, once after connecting: who is online among the people I share a room with. */
  online: 'roster:online',
  /** s→c: one of them came online or went offline. */
  presence: 'roster:presence',
  /** c→s: store and relay an encrypted message (MessageEnvelope). Ack: SendResult, only once stored. */
  send: 'message:send',
  /** s→c: a new message in a room I entered (StoredMessage). */
  message: 'message:new',
  /** c→s: delete one of my own messages for everyone (DeleteMessageRequest). Ack: DeleteResult, once done. */
  deleteMessage: 'message:delete',
  /** s→c: a new entry in a room's log that is not a message (RoomNotice: a membership line, a deletion). */
  notice: 'room:notice',
  /** c→s: a page of history, newest first. Ack: HistoryPage. */
  history: 'message:history',
  /** c→s: everything after the last sequence number I saw, oldest first. Ack: HistoryPage. */
  resync: 'message:resync',
  /** c→s: I have read up to seq (moves my unread marker). Ack: { seq }. */
  read: 'room:read',
  /** s→c: a message was refused for its rate; says when to retry. */
  rateLimited: 'rate-limited',
  /** c→s: make the room's next key epoch: NewEpochRequest, with its signed announcement and a box for every admitted member. Ack: { epoch }. */
  newEpoch: 'key:new-epoch',
  /** s→c: the room has a new epoch (fetch your box with key:boxes). */
  epoch: 'key:epoch',
  /** s→c: a member left or was removed: whoever answers first makes the next epoch. */
  rotate: 'key:rotate',
  /** c→s: I need this room's key(s): KeyRequestRequest. Ack: KeyRequestResult (answered later by key:available). */
  keyRequest: 'key:request',
  /** s→c: a member is waiting for keys you hold: share boxes with key:share. */
  keyRequested: 'key:requested',
  /** c→s: boxes for a waiting member: { roomId, boxes }. Ack: { stored }, the number of boxes really stored. */
  keyShare: 'key:share',
  /** s→c: boxes were shared with you (fetch them with key:boxes). */
  keyAvailable: 'key:available',
  /** c→s: my key boxes in a room, with the room's epoch announcements. Ack: KeyMaterial. */
  keyBoxes: 'key:boxes',
  /** c→s: the owner signs the room's genesis and admits its current members (GenesisRequest). Ack: { admitted: userIds }. */
  genesis: 'room:genesis',
  /** s→c: someone asks to join a room I am a member of (JoinRequest): admit (check the proof or ask the user) or decline. */
  admissionRequested: 'admission:requested',
  /** c→s: admit a pending joiner with a signed admission (GrantRequest). Ack: { userId }. */
  admissionGrant: 'admission:grant',
  /** c→s: decline a pending joiner (DeclineRequest). Ack: { userId }. */
  admissionDecline: 'admission:decline',
  /** s→c: a join request was granted or declined (AdmissionResolved): to the room's members and to the joiner. */
  admissionResolved: 'admission:resolved',
  /** s→c: no activity for IDLE_WARN_SECONDS: the socket will be closed unless the user acts. */
  idleWarning: 'idle:warning',
  /** s→c: no activity for IDLE_KICK_SECONDS: the socket is being closed. */
  idleKick: 'idle:kick',
  /** s→c: a request failed; carries a code. */
  error: 'chat:error',
  /** s→c: the session ended (sign-out, password change, expiry): the socket is about to close. */
  sessionEnded: 'session:ended',
} as const;

export type SocketErrorCode =
  | 'unauthorized'
  | 'invalid-payload'
  /** No such room among the caller's: the same for a room that does not exist and one they are not in. */
  | 'no-such-room'
  | 'not-entered'
  | 'stale-epoch'
  | 'no-key'
  | 'rotation-pending'
  | 'epoch-conflict'
  | 'rate-limited'
  /** A message, box, admission, genesis or epoch announcement whose signature does not verify under its signer's directory key: refused, not stored. */
  | 'bad-signature'
  /** The person is not an admitted member (no admission that verifies): nobody may make or share a key for them. */
  | 'not-admitted'
  /** message:send named a fileId that is not the sender's own upload, stored, in this room and not yet carried by another message: refused, not stored. */
  | 'file-unavailable'
  /**
   * message:send with editOf, or message:delete, naming what the caller may not edit or delete: not a
   * message of theirs in this room, already deleted, an edit itself, or (for an edit) a file message.
   */
  | 'not-editable'
  /** message:send with a ciphertext over this deployment's bound (MESSAGE_MAX_CHARS): refused, not stored. */
  | 'too-long'
  /** The database is down or did not answer in time: try again after retryAfterMs (a message sent again is stored once, by its clientMsgId). */
  | 'unavailable'
  | 'server-error';

/** Public: the deployment's settings a client follows. */
export const CLIENT_CONFIG_PATH = '/api/config';

/** GET /api/config: the deployment's settings a client follows. */
export interface ClientConfig {
  /** Characters in a message (MESSAGE_MAX_CHARS; LIMITS.messageBodyChars by default). */
  messageChars: number;
}

/** Messages per page of history, and the most a resync returns at once. */
export const HISTORY_PAGE_SIZE = 50;
export const RESYNC_MAX = 500;

/**
 * Why the server refused a socket's handshake: the `data` of the client's connect_error (whose
 * message says the same in words). socket.io-client does not retry a refused handshake by itself:
 * 'unauthorized' is final (sign in again), 'unavailable' (the database) and 'rate-limited' (the
 * account's SOCKETS_PER_USER_MAX) pass, so the client tries again after a pause (a long one after
 * 'rate-limited': a tab too many waits for another to close).
 */
export interface HandshakeRefusal {
  code: Extract<SocketErrorCode, 'unauthorized' | 'unavailable' | 'rate-limited'>;
  message: string;
}

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
  /** The messages in the page's range that still have their ciphertext (edits included). */
  messages: StoredMessage[];
  /** The page's other log entries, by seq: membership lines, deleted messages, deletions (docs/protocol.md §9a). */
  notices: RoomNotice[];
  /** More entries exist beyond this page. */
  more: boolean;
}

/**
 * A room log entry that is not a readable message (docs/protocol.md §9a), with its own seq:
 * 'joined' / 'left' / 'removed': a membership line about `userId`; 'deleted': the place of a message
 * its sender `userId` deleted (an edit's own place when editOf is set: nothing to show there);
 * 'deletion': the entry that deleted message `target` (what a client that saw it before learns from).
 */
export type RoomNotice = NoticeBase &
  ({ kind: 'joined' | 'left' | 'removed' } | { kind: 'deleted'; editOf?: number } | { kind: 'deletion'; target: number });

interface NoticeBase {
  roomId: string;
  seq: number;
  createdAt: string;
  /** The member concerned (membership), or the deleted message's sender. */
  userId: string;
}

/** c→s 'message:delete' */
export interface DeleteMessageRequest {
  roomId: string;
  /** The seq of one of the caller's own messages (not an edit: its edits go with it). */
  seq: number;
}

/** The 'message:delete' acknowledgement: the deletion's own entry in the log. */
export interface DeleteResult {
  seq: number;
  createdAt: string;
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

/**
 * s→c 'chat:error' refusing a message for its epoch, with the room's current epoch:
 * 'stale-epoch': re-encrypt under currentEpoch; 'no-key': the sender holds no key box for the
 * current epoch (ask with key:request, or make epoch 1 when the room has no key yet);
 * 'rotation-pending': a member left or was removed and epoch currentEpoch + 1 is not made yet
 * (make it on key:rotate, or wait for key:epoch), then re-encrypt under it.
 */
export interface StaleEpoch extends SocketError {
  code: 'stale-epoch' | 'no-key' | 'rotation-pending';
  currentEpoch: number;
}

/**
 * c→s 'message:send': the envelope, and for a file message the id of the uploaded ciphertext it
 * carries (docs/protocol.md §10). The id is routing data the server sees: storing the message makes
 * the upload permanent and lets whoever may read the message ask for a download link.
 */
export type SendMessageRequest = MessageEnvelope & {
  fileId?: string;
  /**
   * An edit (docs/protocol.md §9b): the seq of the sender's own text message it replaces. Routing
   * only: a client believes the editOf inside the encrypted content, and only when the two agree.
   */
  editOf?: number;
};

/** A message as members receive it. */
export interface StoredMessage extends MessageEnvelope {
  /** The file this message carries, as the server recorded it: a client shows a file message only when it equals its content's fileId. */
  fileId?: string;
  /** An edit's original (the routing field as stored). */
  editOf?: number;
  senderId: string;
  seq: number;
  createdAt: string;
}

/** c→s 'key:new-epoch' */
export interface NewEpochRequest {
  roomId: string;
  /** The room's current epoch + 1 (or 1 for a room that has no key yet). */
  epoch: number;
  /** One box per admitted member, all for `epoch`, all shared by the sender. */
  boxes: KeyBox[];
  /** The epoch's key commitment, signed by the sender (the maker). */
  announcement: EpochAnnouncement;
}

/** s→c 'key:epoch' */
export interface EpochNotice {
  roomId: string;
  code: string;
  epoch: number;
}

/** s→c 'key:rotate': make epoch `nextEpoch` for the admitted members among these (the maker's browser checks each admission). */
export interface RotateRequest {
  roomId: string;
  code: string;
  nextEpoch: number;
  members: Array<{ userId: string; publicKeys: PublicKeys }>;
}

/** c→s 'key:request' */
export interface KeyRequestRequest {
  roomId: string;
  /**
   * Epochs whose boxes this browser could not use (a bad signature, or a key that does not match the
   * epoch's commitment): asked for again from other members. Omitted: the epochs the caller has no box for.
   */
  epochs?: number[];
}

/** The most epochs one key:request may name. */
export const KEY_REQUEST_EPOCHS_MAX = 1000;

/**
 * The ack of 'key:request'. waiting: the request is recorded and online members were asked (now or
 * when one connects): key:available follows. Not waiting and no epochs: nothing is missing, or the
 * room has no key yet (make its first epoch).
 */
export interface KeyRequestResult {
  waiting: boolean;
  epochs: number[];
}

/** The ack of 'key:boxes': every box for me (one per sharer and epoch) and every epoch announcement of the room. */
export interface KeyMaterial {
  boxes: KeyBox[];
  epochs: EpochAnnouncement[];
}

/** s→c 'key:requested': share these epochs with the requester (wrap to their enc key). */
export interface KeyRequested {
  roomId: string;
  code: string;
  requesterId: string;
  publicKeys: PublicKeys;
  epochs: number[];
}

/** c→s 'key:share' */
export interface KeyShareRequest {
  roomId: string;
  boxes: KeyBox[];
}

/** s→c 'key:available' */
export interface KeyAvailable {
  roomId: string;
  code: string;
  epochs: number[];
}

/** s→c 'idle:warning' */
export interface IdleWarning {
  secondsLeft: number;
  message: string;
}

/** s→c 'idle:kick' (the socket closes right after) */
export interface IdleKick {
  reason: string;
}

/**
 * The socket protocol as typed maps (Socket.IO's typed events): event name → payload, with the
 * acknowledgement each client → server event answers. Gateways, the web socket service, the test
 * helpers and the bench use these; docs/asyncapi.yaml describes the same events (a test checks it).
 */
import {
  type Ack,
  CHAT_EVENTS,
  type DeleteMessageRequest,
  type DeleteResult,
  type EnterRoomResult,
  type EpochNotice,
  type HistoryPage,
  type HistoryRequest,
  type IdleKick,
  type IdleWarning,
  type KeyAvailable,
  type KeyMaterial,
  type KeyRequested,
  type KeyRequestRequest,
  type KeyRequestResult,
  type KeyShareRequest,
  type NewEpochRequest,
  type OnlineRoster,
  type PresenceChange,
  type RateLimited,
  type ReadRequest,
  type ResyncRequest,
  type RoomNotice,
  type RoomRef,
  type RoomRemoved,
  type RoomRoster,
  type RotateRequest,
  type SendMessageRequest,
  type SendResult,
  type SessionEnded,
  type SocketError,
  type SocketErrorCode,
  type StoredMessage,
  type TypingNotice,
} from './chat.js';
import type { AdmissionResolved, DeclineRequest, GenesisRequest, GrantRequest, JoinRequest } from './membership.js';
import type { RoomUpdated } from './rooms.js';

/** c→s 'room:typing' */
export interface TypingRequest {
  code: string;
  typing: boolean;
}

/** c→s events that name a room by id (key:boxes). */
export interface RoomIdRequest {
  roomId: string;
}

type Acked<Req, Res> = (request: Req, ack: (reply: Ack<Res>) => void) => void;

/** Client → server. Every event but 'room:typing' takes an acknowledgement: { ok: true, result } or { ok: false, error }. */
export interface ClientToServerEvents {
  /** Needs membership. Joins the room's live channel. */
  'room:enter': Acked<RoomRef, EnterRoomResult>;
  /** Needs room:enter first. */
  'room:leave': Acked<RoomRef, { code: string }>;
  /** Needs room:enter first. No acknowledgement. */
  'room:typing': (request: TypingRequest) => void;
  /** Needs room:enter first. Acknowledged only once stored. */
  'message:send': Acked<SendMessageRequest, SendResult>;
  /** Needs room:enter first. One of the caller's own messages. */
  'message:delete': Acked<DeleteMessageRequest, DeleteResult>;
  /** Needs room:enter first. */
  'message:history': Acked<HistoryRequest, HistoryPage>;
  /** Needs room:enter first. */
  'message:resync': Acked<ResyncRequest, HistoryPage>;
  /** Needs room:enter first. */
  'room:read': Acked<ReadRequest, { seq: number }>;
  /** Needs membership (no room:enter). */
  'key:new-epoch': Acked<NewEpochRequest, { epoch: number }>;
  /** Needs membership (no room:enter). */
  'key:request': Acked<KeyRequestRequest, KeyRequestResult>;
  /** Needs membership (no room:enter). */
  'key:share': Acked<KeyShareRequest, { stored: number }>;
  /** Needs membership (no room:enter). */
  'key:boxes': Acked<RoomIdRequest, KeyMaterial>;
  /** The room's owner, once, while the room has no genesis. */
  'room:genesis': Acked<GenesisRequest, { admitted: string[] }>;
  /** An admitted member, for a pending joiner. */
  'admission:grant': Acked<GrantRequest, { userId: string }>;
  /** A member, for a pending joiner. */
  'admission:decline': Acked<DeclineRequest, { userId: string }>;
}

/** Server → client. */
export interface ServerToClientEvents {
  'room:typing': (notice: TypingNotice) => void;
  'room:roster': (roster: RoomRoster) => void;
  'room:removed': (notice: RoomRemoved) => void;
  'room:updated': (notice: RoomUpdated) => void;
  'roster:online': (roster: OnlineRoster) => void;
  'roster:presence': (change: PresenceChange) => void;
  /** Never to the socket that sent it (which learns the stored form from its acknowledgement); the sender's other sockets get it. */
  'message:new': (message: StoredMessage) => void;
  'room:notice': (notice: RoomNotice) => void;
  'rate-limited': (notice: RateLimited) => void;
  'key:epoch': (notice: EpochNotice) => void;
  'key:rotate': (request: RotateRequest) => void;
  'key:requested': (request: KeyRequested) => void;
  'key:available': (notice: KeyAvailable) => void;
  'admission:requested': (request: JoinRequest) => void;
  'admission:resolved': (notice: AdmissionResolved) => void;
  'idle:warning': (warning: IdleWarning) => void;
  'idle:kick': (kick: IdleKick) => void;
  'chat:error': (error: SocketError) => void;
  'session:ended': (notice: SessionEnded) => void;
}

/** Client → server events that take an acknowledgement (all but 'room:typing'). */
export type AckedEvent = { [E in keyof ClientToServerEvents]: Parameters<ClientToServerEvents[E]> extends [unknown, unknown] ? E : never }[keyof ClientToServerEvents];
/** What the client sends with event E. */
export type RequestOf<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[0];
/** The acknowledgement of event E: { ok: true, result } or { ok: false, error }. */
export type AckOf<E extends AckedEvent> = Parameters<ClientToServerEvents[E]> extends [unknown, (reply: infer A) => void] ? A : never;
/** The result in a successful acknowledgement of event E. */
export type ResultOf<E extends AckedEvent> = Extract<AckOf<E>, { ok: true }> extends { result: infer R } ? R : never;
/** What the server sends with event E. */
export type PayloadOf<E extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[E]>[0];

type EventName = (typeof CHAT_EVENTS)[keyof typeof CHAT_EVENTS];
/** Compiles only while every name in CHAT_EVENTS has a typed entry above, and every entry a name in CHAT_EVENTS. */
export type EveryEventTyped = [Exclude<EventName, keyof ClientToServerEvents | keyof ServerToClientEvents>, Exclude<keyof ClientToServerEvents | keyof ServerToClientEvents, EventName>] extends [never, never] ? true : never;
export const EVERY_EVENT_TYPED: EveryEventTyped = true;

/**
 * The typed maps above as runtime values, for what cannot read types (docs/asyncapi.yaml and its
 * test): every client → server event with whether it takes an acknowledgement, every server → client
 * event, every SocketErrorCode. Mapped types: each compiles only while it lists exactly the map's
 * names, with the map's acknowledgement shape.
 */
export const CLIENT_EVENTS: { readonly [E in keyof ClientToServerEvents]: Parameters<ClientToServerEvents[E]> extends [unknown, unknown] ? 'ack' : 'no-ack' } = {
  'room:enter': 'ack',
  'room:leave': 'ack',
  'room:typing': 'no-ack',
  'message:send': 'ack',
  'message:delete': 'ack',
  'message:history': 'ack',
  'message:resync': 'ack',
  'room:read': 'ack',
  'key:new-epoch': 'ack',
  'key:request': 'ack',
  'key:share': 'ack',
  'key:boxes': 'ack',
  'room:genesis': 'ack',
  'admission:grant': 'ack',
  'admission:decline': 'ack',
};
export const SERVER_EVENTS: { readonly [E in keyof ServerToClientEvents]: true } = {
  'room:typing': true,
  'room:roster': true,
  'room:removed': true,
  'room:updated': true,
  'roster:online': true,
  'roster:presence': true,
  'message:new': true,
  'room:notice': true,
  'rate-limited': true,
  'key:epoch': true,
  'key:rotate': true,
  'key:requested': true,
  'key:available': true,
  'admission:requested': true,
  'admission:resolved': true,
  'idle:warning': true,
  'idle:kick': true,
  'chat:error': true,
  'session:ended': true,
};
export const SOCKET_ERROR_CODES: { readonly [C in SocketErrorCode]: true } = {
  unauthorized: true,
  'invalid-payload': true,
  'no-such-room': true,
  'not-entered': true,
  'stale-epoch': true,
  'no-key': true,
  'rotation-pending': true,
  'epoch-conflict': true,
  'rate-limited': true,
  'bad-signature': true,
  'not-editable': true,
  'too-long': true,
  'not-admitted': true,
  'file-unavailable': true,
  unavailable: true,
  'server-error': true,
};

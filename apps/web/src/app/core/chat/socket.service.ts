import { DestroyRef, inject, Injectable, signal } from '@angular/core';
import {
  type AckedEvent,
  type AckOf,
  CHAT_EVENTS,
  type ClientToServerEvents,
  type RequestOf,
  type ResultOf,
  type ServerToClientEvents,
  SOCKET_PATH,
  type SocketError,
} from '@conclave/contracts';
import { io, type Socket } from 'socket.io-client';
import { retryAfterRefusal } from './handshake-refusal';
import { InsecureEndpointError, socketEndpoint } from './socket-endpoint';

/** The events a caller may listen to: the server's, and the connection's own 'disconnect'. */
type ListenEvents = ServerToClientEvents & { disconnect: (reason: Socket.DisconnectReason) => void };
export type ListenEvent = keyof ListenEvents;
export type ListenPayload<E extends ListenEvent> = Parameters<ListenEvents[E]>[0];
/** Client → server events sent without an acknowledgement (typing notices). */
type UnackedEvent = Exclude<keyof ClientToServerEvents, AckedEvent>;

/** What the user is told about the live connection. */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'refused';

/** Seconds between reconnection attempts once the connection is lost. */
export const RECONNECT_DELAY_MS = 3_000;
/** How long an acknowledged request may take before it counts as failed. */
const REQUEST_TIMEOUT_MS = 10_000;

/** A refused socket request, with the server's code ('stale-epoch', 'rate-limited', 'no-key', …). */
export class SocketRequestError extends Error {
  constructor(readonly error: SocketError & Record<string, unknown>) {
    super(error.message);
    this.name = 'SocketRequestError';
  }

  /** The code as a string: the client also knows codes the contract union gains later ('no-key'). */
  get code(): string {
    return this.error.code;
  }
}

/** The one Socket.IO connection of the signed-in user (wss:// only), and its state for the UI. */
@Injectable({ providedIn: 'root' })
export class SocketService {
  readonly state = signal<ConnectionState>('idle');
  /** Why the connection was refused or ended, in words for the user. */
  readonly problem = signal<string | null>(null);
  private socket?: Socket<ServerToClientEvents, ClientToServerEvents>;
  /** The next try after a handshake the server refused for a passing reason. */
  private retry?: ReturnType<typeof setTimeout>;
  private readonly connectHandlers = new Set<() => void>();
  /** Back online: a socket that outlived the blip is still connected (no 'connect' event will come to say so). */
  private readonly onOnline = () => {
    if (!this.socket) return;
    if (this.socket.connected) this.state.set('connected');
    else {
      this.state.set('reconnecting');
      this.socket.connect();
    }
  };
  private readonly onOffline = () => this.state.set('offline');

  constructor() {
    inject(DestroyRef).onDestroy(() => this.disconnect());
  }

  /** Connects to the page's own origin, which must be https (so the socket is wss). */
  connect(pageOrigin = globalThis.location.origin): void {
    if (this.socket) return;
    let endpoint: string;
    try {
      endpoint = socketEndpoint(pageOrigin);
    } catch (err) {
      this.state.set('refused');
      this.problem.set(err instanceof InsecureEndpointError ? err.message : String(err));
      return;
    }
    this.problem.set(null);
    this.state.set('connecting');
    const socket = io(endpoint, {
      path: SOCKET_PATH,
      transports: ['websocket'],
      withCredentials: true,
      reconnectionDelay: RECONNECT_DELAY_MS,
      reconnectionDelayMax: RECONNECT_DELAY_MS,
    });
    this.socket = socket;
    socket.on('connect', () => {
      this.state.set('connected');
      this.problem.set(null);
      for (const handler of this.connectHandlers) handler();
    });
    socket.on('disconnect', (reason) => {
      // The server closed it on purpose (idle kick, session end): no automatic reconnection.
      this.state.set(reason === 'io server disconnect' || reason === 'io client disconnect' ? 'offline' : 'reconnecting');
    });
    socket.on('connect_error', (err) => {
      this.state.set(globalThis.navigator?.onLine === false ? 'offline' : 'reconnecting');
      this.problem.set(err.message);
      // Not socket.active: the server refused the handshake, and socket.io-client will not try again by itself.
      const retryMs = socket.active ? undefined : retryAfterRefusal(err);
      if (retryMs !== undefined) {
        clearTimeout(this.retry);
        this.retry = setTimeout(() => socket.connect(), retryMs);
      }
    });
    globalThis.addEventListener?.('online', this.onOnline);
    globalThis.addEventListener?.('offline', this.onOffline);
  }

  /** Runs `handler` on every (re)connection: where rooms are entered again and missed messages fetched. */
  onConnect(handler: () => void): () => void {
    this.connectHandlers.add(handler);
    if (this.socket?.connected) handler();
    return () => this.connectHandlers.delete(handler);
  }

  /** Listens to a server event (typed by ServerToClientEvents); returns the way to stop. */
  on<E extends ListenEvent>(event: E, handler: (payload: ListenPayload<E>) => void): () => void {
    const socket = this.requireSocket();
    // The typed maps say which handler fits which event; socket.io-client's overloads cannot follow a generic name.
    const listener = handler as never;
    socket.on(event, listener);
    return () => socket.off(event, listener);
  }

  /** Fire and forget (typing notices). */
  emit<E extends UnackedEvent>(event: E, payload: RequestOf<E>): void {
    if (this.socket?.connected) this.socket.emit(event, ...([payload] as Parameters<ClientToServerEvents[E]>));
  }

  /** Sends with an acknowledgement; resolves with the result (typed by ClientToServerEvents) or throws SocketRequestError. */
  request<E extends AckedEvent>(event: E, payload: RequestOf<E>): Promise<ResultOf<E>>;
  /** @deprecated The result's type comes from the event name: drop the type argument. (Kept while branches written before the typed maps merge.) */
  request<T>(event: WithTypeArgument<T, AckedEvent>, payload: unknown): Promise<T>;
  async request(event: AckedEvent, payload: unknown): Promise<unknown> {
    // Typed by the overloads above; socket.io-client's own overloads cannot follow a generic event name.
    const socket = this.requireSocket() as unknown as Socket;
    let reply: AckOf<AckedEvent>;
    try {
      reply = (await socket.timeout(REQUEST_TIMEOUT_MS).emitWithAck(event, payload)) as AckOf<AckedEvent>;
    } catch {
      throw new SocketRequestError({ code: 'server-error', message: 'The server did not answer in time', event });
    }
    if (!reply.ok) throw new SocketRequestError(reply.error as SocketError & Record<string, unknown>);
    return reply.result;
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  disconnect(): void {
    clearTimeout(this.retry);
    globalThis.removeEventListener?.('online', this.onOnline);
    globalThis.removeEventListener?.('offline', this.onOffline);
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = undefined;
    this.connectHandlers.clear();
    this.state.set('idle');
  }

  private requireSocket(): Socket<ServerToClientEvents, ClientToServerEvents> {
    if (!this.socket) throw new SocketRequestError({ code: 'server-error', message: 'Not connected', event: CHAT_EVENTS.enter });
    return this.socket;
  }
}

/** The untyped overload takes a call only with its type argument spelt out: without one, T is unknown and no event name fits. */
type WithTypeArgument<T, Event> = unknown extends T ? never : Event;

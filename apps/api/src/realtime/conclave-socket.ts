import type { ClientToServerEvents, ServerToClientEvents } from '@conclave/contracts';
import type { DefaultEventsMap, RemoteSocket, Server, Socket } from 'socket.io';

/** Who a connected socket is (set once, at the handshake). */
export interface SocketUser {
  userId: string;
  username: string;
  /**
   * The session's key in the session table (a hash of the cookie's id, never the id itself): socket
   * data travels to other instances (fetchSockets answers, through PostgreSQL or Redis), and the key
   * cannot be turned into a cookie.
   */
  sessionKey: string;
  signedInAt: number;
  /** The client's address, as REST sees it (for the per-address room probe budget). */
  address: string;
}

/** Everything a socket carries: who it is, and the chat gateway's state for it. */
export interface SocketData extends SocketUser {
  /** Rooms entered with room:enter, code → room id. */
  entered: Record<string, string>;
  /** The last client event (the idle policy). */
  lastActive: number;
  /** An idle warning was sent since then. */
  warned: boolean;
}

/** The app's Socket.IO server and sockets, typed with the protocol of libs/contracts (events.ts). */
export type ConclaveServer = Server<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>;
export type ConclaveSocket = Socket<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>;
export type ConclaveRemoteSocket = RemoteSocket<ServerToClientEvents, SocketData>;

import type { RosterEntry } from '@conclave/contracts';
import type { RemoteSocket, Server } from 'socket.io';

/** What a connected socket carries (set at the handshake). */
export interface SocketUser {
  userId: string;
  username: string;
  sessionId: string;
  signedInAt: number;
  /** The client's address, as REST sees it (for the per-address room probe budget). */
  address: string;
}

export const userChannel = (userId: string) => `user:${userId}`;
/** Sockets that entered a room's live channel: they get its messages, typing and roster. */
export const roomChannel = (roomId: string) => `room:${roomId}`;
/** Every socket of every member of a room: for online presence. */
export const membersChannel = (roomId: string) => `members:${roomId}`;

/** The distinct users behind the sockets of a channel (works across instances through the adapter). */
export async function usersIn(server: Server, channel: string): Promise<RosterEntry[]> {
  const sockets: Array<RemoteSocket<never, SocketUser>> = await server.in(channel).fetchSockets();
  const users = new Map<string, RosterEntry>();
  for (const socket of sockets) users.set(socket.data.userId, { userId: socket.data.userId, username: socket.data.username });
  return [...users.values()].sort((a, b) => a.username.localeCompare(b.username));
}

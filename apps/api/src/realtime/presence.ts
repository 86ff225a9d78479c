import type { RosterEntry } from '@conclave/contracts';
import type { ConclaveServer } from './conclave-socket.js';

export const userChannel = (userId: string) => `user:${userId}`;
/** Sockets that entered a room's live channel: they get its messages, typing and roster. */
export const roomChannel = (roomId: string) => `room:${roomId}`;
/** Every socket of every member of a room: for online presence. */
export const membersChannel = (roomId: string) => `members:${roomId}`;

/** The distinct users behind the sockets of a channel (works across instances through the adapter). */
export async function usersIn(server: ConclaveServer, channel: string): Promise<RosterEntry[]> {
  const sockets = await server.in(channel).fetchSockets();
  const users = new Map<string, RosterEntry>();
  for (const socket of sockets) users.set(socket.data.userId, { userId: socket.data.userId, username: socket.data.username });
  return [...users.values()].sort((a, b) => a.username.localeCompare(b.username));
}

import { Logger } from '@nestjs/common';
import type { RosterEntry } from '@conclave/contracts';
import { FAN_OUT_TIMING } from '../cluster/cluster-connection.js';
import type { ConclaveRemoteSocket, ConclaveServer } from './conclave-socket.js';

const log = new Logger('Presence');

export const userChannel = (userId: string) => `user:${userId}`;
/** Sockets that entered a room's live channel: they get its messages, typing and roster. */
export const roomChannel = (roomId: string) => `room:${roomId}`;
/** Every socket of every member of a room: for online presence. */
export const membersChannel = (roomId: string) => `members:${roomId}`;

/**
 * The sockets of a channel on every instance (through the adapter). Bounded in time: when an
 * instance does not answer within FAN_OUT_TIMING.requestsTimeoutMs (it died, and the others have
 * not counted it out yet), the answer is this instance's sockets, rather than a roster that waits
 * or fails; the dead instance's sockets are gone anyway, and come back through another instance.
 */
export async function socketsIn(server: ConclaveServer, channel: string | string[]): Promise<ConclaveRemoteSocket[]> {
  try {
    return await server.in(channel).timeout(FAN_OUT_TIMING.requestsTimeoutMs).fetchSockets();
  } catch (err) {
    log.warn(`another instance did not answer who is connected (${(err as Error).message}): answering with this instance's sockets`);
    return server.local.in(channel).fetchSockets();
  }
}

/** The distinct users behind the sockets of a channel (on every instance). */
export async function usersIn(server: ConclaveServer, channel: string): Promise<RosterEntry[]> {
  const sockets = await socketsIn(server, channel);
  const users = new Map<string, RosterEntry>();
  for (const socket of sockets) users.set(socket.data.userId, { userId: socket.data.userId, username: socket.data.username });
  return [...users.values()].sort((a, b) => a.username.localeCompare(b.username));
}

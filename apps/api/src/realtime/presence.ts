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

/** What every instance said: `complete` is false when one did not answer in time (only this instance's sockets are in). */
export interface Census {
  sockets: ConclaveRemoteSocket[];
  complete: boolean;
}

/**
 * The sockets of a channel (or of any of several) on every instance, through the adapter. Bounded
 * in time: when the instances have not all answered within FAN_OUT_TIMING.requestsTimeoutMs (one
 * died and the others have not counted it out yet, or the fan-out's PostgreSQL or Redis does not
 * answer), the answer is this instance's sockets, marked incomplete. The whole question is timed
 * here, not only the adapter's wait for answers: the Redis adapter first counts the instances, and
 * that command waits for as long as Redis is away.
 */
export async function census(server: ConclaveServer, channel: string | string[]): Promise<Census> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${FAN_OUT_TIMING.requestsTimeoutMs} ms`)), FAN_OUT_TIMING.requestsTimeoutMs);
  });
  const asked = server.in(channel).timeout(FAN_OUT_TIMING.requestsTimeoutMs).fetchSockets();
  asked.catch(() => undefined);
  try {
    return { sockets: await Promise.race([asked, late]), complete: true };
  } catch (err) {
    log.warn(`another instance did not answer who is connected (${(err as Error).message}): answering with this instance's sockets`);
    return { sockets: await server.local.in(channel).fetchSockets(), complete: false };
  } finally {
    clearTimeout(timer);
  }
}

/** census's sockets, for questions that may be answered from this instance alone for a moment (rosters, the socket quota). */
export async function socketsIn(server: ConclaveServer, channel: string | string[]): Promise<ConclaveRemoteSocket[]> {
  return (await census(server, channel)).sockets;
}

/** The distinct users behind the sockets of a channel (on every instance). */
export async function usersIn(server: ConclaveServer, channel: string): Promise<RosterEntry[]> {
  const sockets = await socketsIn(server, channel);
  const users = new Map<string, RosterEntry>();
  for (const socket of sockets) users.set(socket.data.userId, { userId: socket.data.userId, username: socket.data.username });
  return [...users.values()].sort((a, b) => a.username.localeCompare(b.username));
}

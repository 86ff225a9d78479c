import type { HandshakeRefusal } from '@conclave/contracts';
import type { Socket } from 'socket.io';

/** A handshake refused past SOCKETS_PER_USER_MAX; the message is what the client's connect_error says. */
export class TooManySocketsError extends Error {
  readonly data: HandshakeRefusal;

  constructor(limit: number) {
    super(`too many connections: an account may have at most ${limit} open at once; close a tab or window first`);
    this.data = { code: 'rate-limited', message: this.message };
  }
}

/**
 * SOCKETS_PER_USER_MAX, decided at the handshake: the user's open sockets on every instance (counted
 * through the adapter, on the user's channel) plus those this instance admitted that have not joined
 * that channel yet. One handshake per user is decided at a time, so parallel handshakes cannot all
 * see room for one more.
 */
export class SocketQuota {
  /** Per user: sockets admitted here and not yet on the user's channel. */
  private readonly admitting = new Map<string, number>();
  private readonly releases = new WeakMap<Socket, () => void>();
  private readonly turns = new Map<string, Promise<unknown>>();

  constructor(
    private readonly limit: number,
    private readonly countOpen: (userId: string) => Promise<number>,
  ) {}

  /** Lets the socket of `userId` connect, or throws TooManySocketsError. */
  admit(socket: Socket, userId: string): Promise<void> {
    return this.inTurn(userId, async () => {
      // Read before counting: a socket that joins meanwhile is then counted twice (a refusal at the very edge), never missed.
      const admitting = this.admitting.get(userId) ?? 0;
      if ((await this.countOpen(userId)) + admitting >= this.limit) throw new TooManySocketsError(this.limit);
      // Closed while it was counted (a tab closed while another instance was slow to answer): its
      // 'close' is past, so a place taken now would never be given back. Socket.IO drops it anyway.
      if (socket.conn.readyState !== 'open') return;
      this.admitting.set(userId, admitting + 1);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const left = (this.admitting.get(userId) ?? 1) - 1;
        if (left > 0) this.admitting.set(userId, left);
        else this.admitting.delete(userId);
      };
      this.releases.set(socket, release);
      // A connection that closes before it is set up must not hold its place.
      socket.conn.once('close', release);
    });
  }

  /** The socket is on the user's channel now: countOpen counts it from here on. */
  joined(socket: Socket): void {
    this.releases.get(socket)?.();
    this.releases.delete(socket);
  }

  private inTurn<T>(userId: string, work: () => Promise<T>): Promise<T> {
    const result = (this.turns.get(userId) ?? Promise.resolve()).then(work);
    const settled = result.catch(() => undefined);
    this.turns.set(userId, settled);
    void settled.then(() => {
      if (this.turns.get(userId) === settled) this.turns.delete(userId);
    });
    return result;
  }
}

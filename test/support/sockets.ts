import { type Ack, type AckedEvent, type AckOf, CHAT_EVENTS, type PayloadOf, type RequestOf, type ServerToClientEvents, SESSION_COOKIE } from '@conclave/contracts';
import { announceEpoch, generateEpochKey, importPublicKeys, sealKeyBox } from '@conclave/crypto';
import { io, type Socket } from 'socket.io-client';
import request from 'supertest';
import type { Account } from './accounts.js';
import type { Endpoint } from './server.js';

/** Signs `account` in and returns its session cookie ("name=value"). */
export async function sessionCookie(server: Endpoint, account: Account): Promise<string> {
  const res = await request(server.origin).post('/api/auth/login').ca(server.certificate).send({ username: account.username, authKey: account.keys.authKey }).expect(200);
  return [res.headers['set-cookie']].flat().find((c: string) => c.startsWith(`${SESSION_COOKIE}=`))!.split(';')[0]!;
}

/** A real socket.io-client over wss://, verifying the server's certificate, as a signed-in browser would connect. */
export function connect(server: Endpoint, cookie?: string, origin = server.origin): Socket {
  return io(server.origin, {
    transports: ['websocket'],
    ca: server.certificate.toString(),
    extraHeaders: { Origin: origin, ...(cookie ? { Cookie: cookie } : {}) },
    reconnection: false,
    forceNew: true,
  });
}

export function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
}

/** The next `event` the socket receives (optionally the next one matching `where`), typed by ServerToClientEvents. */
export function next<E extends keyof ServerToClientEvents>(socket: Socket, event: E, where?: (payload: PayloadOf<E>) => boolean, timeoutMs?: number): Promise<PayloadOf<E>>;
/** @deprecated The payload's type comes from the event name: drop the type argument. (Kept while branches written before the typed maps merge.) */
export function next<T>(socket: Socket, event: WithTypeArgument<T, string>, where?: (payload: T) => boolean, timeoutMs?: number): Promise<T>;
export function next<T>(socket: Socket, event: string, where: (payload: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: T) => {
      if (!where(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(payload);
    };
    socket.on(event, listener);
  });
}

/** Emits with an acknowledgement and resolves with the reply, both typed by ClientToServerEvents. */
export function ask<E extends AckedEvent>(socket: Socket, event: E, payload: RequestOf<E>): Promise<AckOf<E>>;
/** @deprecated The reply's type comes from the event name: drop the type argument; askRaw sends a payload the contract does not allow. (Kept while branches written before the typed maps merge.) */
export function ask<T>(socket: Socket, event: WithTypeArgument<T, string>, payload: unknown): Promise<T>;
export function ask(socket: Socket, event: string, payload: unknown): Promise<unknown> {
  return socket.timeout(5000).emitWithAck(event, payload);
}

/** Emits any payload, well-formed or not, and resolves with the acknowledgement (for tests of refusals). */
export function askRaw<T = unknown>(socket: Socket, event: string, payload: unknown): Promise<Ack<T>> {
  return socket.timeout(5000).emitWithAck(event, payload) as Promise<Ack<T>>;
}

/** The untyped overloads take a call only with its type argument spelt out: without one, T is unknown and no event name fits. */
type WithTypeArgument<T, Event> = unknown extends T ? never : Event;

/** The result of an acknowledgement; a refusal throws with the server's error code and message, so a test cannot read past it. */
export function resultOf<R extends Ack<unknown>>(reply: R): Extract<R, { ok: true }>['result'] {
  if (reply?.ok === true) return reply.result;
  if (reply?.ok === false) throw new Error(`refused: ${reply.error.code}: ${reply.error.message}`);
  throw new Error(`not an acknowledgement: ${JSON.stringify(reply)}`);
}

export { CHAT_EVENTS };

/**
 * What the first member of a keyless room does (docs/protocol.md §8): makes epoch 1 with its
 * signed announcement and a box for every member, signed by `maker`, and returns the epoch key.
 */
export async function makeFirstEpoch(socket: Socket, roomId: string, maker: Account, members: Array<Pick<Account, 'userId' | 'publicKeys'>>): Promise<CryptoKey> {
  const epochKey = await generateEpochKey();
  const boxes = await Promise.all(
    members.map(async (m) =>
      sealKeyBox({ roomId, epoch: 1, epochKey, recipientId: m.userId, recipientEnc: (await importPublicKeys(m.publicKeys)).enc, sharerId: maker.userId, sharerSig: maker.identity.sig.privateKey }),
    ),
  );
  const announcement = await announceEpoch({ roomId, epoch: 1, makerId: maker.userId, epochKey, makerSig: maker.identity.sig.privateKey });
  resultOf(await ask(socket, CHAT_EVENTS.newEpoch, { roomId, epoch: 1, boxes, announcement }));
  return epochKey;
}

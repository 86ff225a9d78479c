import { type ArgumentsHost, BadRequestException, Catch, HttpException, Logger, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { BaseWsExceptionFilter, WsException } from '@nestjs/websockets';
import { CHAT_EVENTS, type HandshakeRefusal, type SocketError, type SocketErrorCode } from '@conclave/contracts';
import type { Socket } from 'socket.io';
import { logFailure } from '../database/background-work.js';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from '../database/database-unavailable.js';
import { isUnstorableText, UNSTORABLE_TEXT_MESSAGE } from '../database/unstorable-text.js';
import { RetryLaterException } from '../security/retry-later.js';

/** A refusal with a code from the contract. */
export class ChatError extends WsException {
  constructor(
    readonly code: SocketErrorCode,
    message: string,
    /** Extra fields for the client (e.g. currentEpoch with 'stale-epoch'). */
    readonly details: Record<string, unknown> = {},
  ) {
    super({ code, message });
  }
}

/**
 * Every failed event answers with 'chat:error' { code, message, event } and, when the client asked
 * for an acknowledgement, with { ok: false, error }. Nothing a client sends can take the process down.
 */
@Catch()
export class SocketErrorFilter extends BaseWsExceptionFilter {
  private readonly log = new Logger('ChatGateway');

  override catch(exception: unknown, host: ArgumentsHost): void {
    const ws = host.switchToWs();
    const socket = ws.getClient<Socket>();
    const event = ws.getPattern();
    const ack = host.getArgs().find((arg, i) => i > 0 && typeof arg === 'function') as ((reply: unknown) => void) | undefined;
    answerWithError(socket, { ...toCodeAndMessage(exception, this.log), event }, ack);
  }
}

/** A refusal as the client gets it: 'chat:error', and the failed acknowledgement when it asked for one. */
export function answerWithError(socket: Socket, error: SocketError, ack?: (reply: unknown) => void): void {
  socket.emit(CHAT_EVENTS.error, error);
  ack?.({ ok: false, error });
}

/** The code, the message and any extra fields for the client (e.g. currentEpoch, retryAfterMs). */
type Refusal = Omit<SocketError, 'event'> & Record<string, unknown>;

function toCodeAndMessage(exception: unknown, log: Logger): Refusal {
  if (exception instanceof ChatError) return { ...exception.details, code: exception.code, message: exception.message };
  if (isDatabaseUnavailable(exception)) {
    log.warn(`event refused while the database is unavailable (${exception instanceof Error ? exception.message : String(exception)})`);
    return { code: 'unavailable', message: UNAVAILABLE_MESSAGE, retryAfterMs: DATABASE_RETRY_AFTER_SECONDS * 1000 };
  }
  // Text PostgreSQL refused (U+0000) that the adapter's payload check let through: the client's, as a 400 is.
  if (isUnstorableText(exception)) return { code: 'invalid-payload', message: UNSTORABLE_TEXT_MESSAGE };
  if (exception instanceof BadRequestException) return { code: 'invalid-payload', message: flatten(exception) };
  if (exception instanceof RetryLaterException) return { code: 'rate-limited', message: exception.message, retryAfterMs: exception.retryAfterSeconds * 1000 };
  if (exception instanceof NotFoundException) return { code: 'no-such-room', message: exception.message };
  if (exception instanceof UnauthorizedException) return { code: 'unauthorized', message: exception.message };
  if (exception instanceof HttpException) return { code: 'invalid-payload', message: exception.message };
  log.error(exception instanceof Error ? exception.stack ?? exception.message : String(exception));
  return { code: 'server-error', message: 'Something went wrong on the server' };
}

/**
 * For a connection whose set-up failed (a gateway's handleConnection): not in its rooms' channels,
 * or without its waiting key work, the socket would miss events. Closing the transport (not a
 * server-side disconnect, which clients take as final) makes the client connect again.
 */
export function connectionFailed(socket: Socket, log: Logger): (err: unknown) => void {
  return (err) => {
    logFailure(log, 'connection')(err);
    answerWithError(socket, { code: isDatabaseUnavailable(err) ? 'unavailable' : 'server-error', message: 'The connection could not be set up: connecting again', event: 'connection' });
    socket.conn.close();
  };
}

/**
 * Why a handshake was refused, as the client's connect_error shows it: "<code>: <message>", with
 * the code also in the error's data. A database that is down is not a reason to sign in again.
 */
export function handshakeRefusal(cause: unknown): Error {
  const data: HandshakeRefusal = isDatabaseUnavailable(cause) ? { code: 'unavailable', message: UNAVAILABLE_MESSAGE } : { code: 'unauthorized', message: 'sign in first' };
  return Object.assign(new Error(`${data.code}: ${data.message}`), { data });
}

const UNAVAILABLE_MESSAGE = 'The database is unavailable: try again in a few seconds';

function flatten(exception: BadRequestException): string {
  const body = exception.getResponse() as { message?: string | string[] };
  return [body.message ?? exception.message].flat().join('; ');
}

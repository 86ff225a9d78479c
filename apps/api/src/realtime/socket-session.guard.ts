import { type CanActivate, createParamDecorator, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { CHAT_EVENTS } from '@conclave/contracts';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { ConclaveRemoteSocket, ConclaveSocket } from './conclave-socket.js';
import { ChatError } from './socket-errors.js';

const EXPIRED = 'Your session has expired: sign in again';

/**
 * Every socket event: the session must still be within its absolute limit (SESSION_MAX_SECONDS).
 * A socket past it is told and closed; the chat gateway's sweeper catches sessions ended otherwise
 * (sign-out, password change). The handshake itself is authenticated once, in ChatGateway.
 */
@Injectable()
export class SocketSessionGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const socket = context.switchToWs().getClient<ConclaveSocket>();
    if (Date.now() - socket.data.signedInAt <= this.config.auth.sessionMaxSeconds * 1000) return true;
    endSession(socket, EXPIRED);
    throw new ChatError('unauthorized', EXPIRED);
  }
}

/** 'session:ended' with the reason, then the socket is closed (for good: the client signs in again). */
export function endSession(socket: ConclaveSocket | ConclaveRemoteSocket, reason: string): void {
  socket.emit(CHAT_EVENTS.sessionEnded, { reason });
  socket.disconnect(true);
}

/** The socket's user id (set at the handshake; use behind SocketSessionGuard). */
export const SocketUserId = createParamDecorator((_data: unknown, context: ExecutionContext): string => context.switchToWs().getClient<ConclaveSocket>().data.userId);

import type { IncomingMessage } from 'node:http';
import { type INestApplicationContext, Logger } from '@nestjs/common';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { defer, type Observable } from 'rxjs';
import { SOCKET_PING_INTERVAL_MS, SOCKET_PING_TIMEOUT_MS } from '@conclave/contracts';
import type { Server, ServerOptions, Socket } from 'socket.io';
import type { AdapterFactory } from '../cluster/cluster-connection.js';
import type { AppConfig } from '../config/app-config.js';
import { arrivedOverTls } from '../security/https-only.js';
import { payloadProblem } from '../security/payload-shape.js';
import { expectedOrigin } from '../security/same-origin.middleware.js';
import { answerWithError } from '../realtime/socket-errors.js';

const SOCKET_LOG = new Logger('ConclaveSocketAdapter');

/**
 * Socket.IO on the app's own HTTPS server (so wss:// only), with the heartbeat of the contract.
 * A handshake from another site's page is refused (cross-site WebSocket hijacking), and behind a
 * proxy so is one that did not reach the proxy over TLS.
 *
 * Event handlers are bound with one listener per socket that dispatches by event name: Nest's
 * default keeps an rxjs pipeline per event per socket alive for the socket's lifetime, which was
 * most of an idle socket's heap (README "Performance"). Guards, pipes, filters and acknowledgements
 * work as before. A payload no DTO should see (see payloadProblem) is refused before all of them.
 */
export class ConclaveSocketAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
    /** The fan-out to other instances (cluster/); undefined = Socket.IO's in-memory adapter. */
    private readonly fanOut?: AdapterFactory,
  ) {
    super(app);
  }

  override bindMessageHandlers(socket: Socket, handlers: MessageMappingProperties[], transform: (data: unknown) => Observable<unknown>): void {
    socket.onAny((event: string, ...args: unknown[]) => {
      const handler = handlers.find((h) => h.message === event);
      if (!handler) return; // an event nobody handles is ignored, as Socket.IO does
      // As rxjs fromEvent hands Nest's default: the one argument itself, or all of them.
      const { data, ack } = this.mapPayload(args.length === 1 ? args[0] : args) as { data: unknown; ack?: (response: unknown) => void };
      // As for HTTP bodies, before the handler's pipes: the ValidationPipe would recurse into it.
      const problem = payloadProblem(data);
      if (problem) return answerWithError(socket, { code: 'invalid-payload', message: problem, event }, ack);
      // defer: a handler that throws at once becomes an error notification, never a crash.
      defer(() => transform(handler.callback(data, ack))).subscribe({
        next: (response) => {
          if (response === undefined || response === null) return;
          const { event: reply, data: replyData } = response as { event?: string; data?: unknown };
          if (reply) socket.emit(reply, replyData);
          else if (!handler.isAckHandledManually && typeof ack === 'function') ack(response);
        },
        // Filters have answered the client already; anything that still escapes is ours to log.
        error: (err: unknown) => SOCKET_LOG.error(err),
      });
    });
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    return super.createIOServer(port, {
      ...options,
      pingInterval: SOCKET_PING_INTERVAL_MS,
      pingTimeout: SOCKET_PING_TIMEOUT_MS,
      // SOCKET_HANDSHAKE_TIMEOUT_SECONDS: a connection that has not finished its (authenticated)
      // Socket.IO handshake by then is closed, and so is a transport upgrade that does not complete.
      connectTimeout: this.config.quotas.socketHandshakeMs,
      upgradeTimeout: this.config.quotas.socketHandshakeMs,
      // Message envelopes are small; anything bigger than this is not ours.
      maxHttpBufferSize: 64 * 1024,
      cors: undefined,
      allowRequest: (req: IncomingMessage, callback: (err: string | null | undefined, ok: boolean) => void) => {
        if (this.config.trustProxy && !arrivedOverTls(req)) {
          return callback('wss:// only', false);
        }
        const origin = req.headers.origin;
        if (origin !== undefined && origin !== expectedOrigin(this.config, req.headers)) return callback('cross-site socket refused', false);
        callback(null, true);
      },
      ...(this.fanOut ? { adapter: this.fanOut } : {}),
    } as ServerOptions);
  }
}

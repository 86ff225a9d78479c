import type { IncomingMessage } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { SOCKET_PING_INTERVAL_MS, SOCKET_PING_TIMEOUT_MS } from '@conclave/contracts';
import type { Server, ServerOptions } from 'socket.io';
import type { AppConfig } from '../config/app-config.js';
import { arrivedOverTls } from '../security/https-only.js';
import { expectedOrigin } from '../security/same-origin.middleware.js';

/**
 * Socket.IO on the app's own HTTPS server (so wss:// only), with the heartbeat of the contract.
 * A handshake from another site's page is refused (cross-site WebSocket hijacking), and behind a
 * proxy so is one that did not reach the proxy over TLS.
 */
export class ConclaveSocketAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    return super.createIOServer(port, {
      ...options,
      pingInterval: SOCKET_PING_INTERVAL_MS,
      pingTimeout: SOCKET_PING_TIMEOUT_MS,
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
    } as ServerOptions);
  }
}

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import { PING_PATH } from '@conclave/contracts';
import type { AppConfig } from '../config/app-config.js';

const HOSTNAME = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$|^\[[0-9a-f:.]+\]$/i;

/** https://<host>[:port]<path> for a plain request, or undefined when the Host header is unusable. */
export function httpsLocation(config: AppConfig, hostHeader: string | undefined, path: string, port = config.port): string | undefined {
  if (config.publicOrigin) return config.publicOrigin + path;
  const host = (hostHeader ?? '').replace(/:\d+$/, '');
  if (!HOSTNAME.test(host)) return undefined;
  return `https://${host}${port === 443 ? '' : `:${port}`}${path}`;
}

function refuseUpgrade(socket: Duplex): void {
  socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\nPlain ws:// is refused; connect with wss://\n');
}

/**
 * The plain-HTTP listener (HTTP_PORT): every request is answered with a redirect to HTTPS, every
 * WebSocket upgrade is refused. It never serves the app.
 */
export function startRedirectServer(config: AppConfig): Promise<Server> {
  const server = createServer((req, res) => {
    const location = httpsLocation(config, req.headers.host, req.url ?? '/');
    if (!location) {
      res.writeHead(400, { 'Content-Type': 'text/plain', Connection: 'close' }).end('Bad Host header\n');
      return;
    }
    res.writeHead(301, { Location: location, 'Content-Type': 'text/plain', Connection: 'close' }).end(`Conclave is served over HTTPS: ${location}\n`);
  });
  server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => refuseUpgrade(socket));
  server.on('clientError', (_err, socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.httpPort, config.host, () => resolve(server));
  });
}

/** Behind the proxy: did this request reach the proxy over TLS (first X-Forwarded-Proto hop)? */
export const arrivedOverTls = (req: IncomingMessage) =>
  String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]!.trim().toLowerCase() === 'https';

/**
 * Behind a TLS-terminating proxy (TRUST_PROXY): a request that did not arrive at the proxy over
 * HTTPS is redirected. /ping stays answerable so the proxy's own health probe needs no TLS.
 */
export function requireForwardedHttps(config: AppConfig) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (arrivedOverTls(req) || req.path === PING_PATH) return next();
    const location = httpsLocation(config, req.headers['x-forwarded-host']?.toString() ?? req.headers.host, req.originalUrl, 443);
    if (!location) return res.status(400).type('text/plain').send('Bad Host header\n');
    res.redirect(301, location);
  };
}

/** Behind a proxy, an upgrade that did not arrive over TLS is refused before any WebSocket handler sees it. */
export function refuseInsecureUpgrades(server: Server): void {
  server.prependListener('upgrade', (req: IncomingMessage, socket: Duplex) => {
    if (!arrivedOverTls(req)) refuseUpgrade(socket);
  });
}

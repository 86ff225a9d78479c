import type { IncomingMessage } from 'node:http';

/**
 * The client's address as REST sees it (Express's req.ip): the connection's, or behind the proxy
 * (TRUST_PROXY, Express's 'trust proxy' = 1) the last X-Forwarded-For entry, the one the proxy added.
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? String(req.headers['x-forwarded-for'] ?? '').split(',').map((hop) => hop.trim()).filter(Boolean).at(-1) : undefined;
  return forwarded ?? req.socket.remoteAddress ?? 'unknown';
}

import { createServer, type Server } from 'node:http';
import { METRICS_PATH } from '@conclave/contracts';
import type { AppConfig } from '../config/app-config.js';
import { ConfigError } from '../config/config-error.js';
import type { MetricsService } from './metrics.service.js';

type Listen = NonNullable<AppConfig['metrics']['listen']>;

/**
 * METRICS_ADDRESS: a plain-HTTP listener that serves GET /metrics without a token, for a scraper on
 * a private network (README "Metrics": bind it to a private address). Everything else is a 404;
 * nothing of the app is reachable through it.
 */
export async function startMetricsListener(metrics: MetricsService, listen: Listen): Promise<{ close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== METRICS_PATH || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`Only GET ${METRICS_PATH} is served here\n`);
      return;
    }
    metrics.exposition().then(
      ({ contentType, body }) => res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body),
      () => res.writeHead(500, { 'Content-Type': 'text/plain' }).end('The metrics could not be collected\n'),
    );
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await listenOn(server, listen);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        // A scraper keeps its connection alive between scrapes: do not wait for it.
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listenOn(server: Server, { host, port }: Listen): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
      const reason =
        err.code === 'EADDRINUSE' ? 'is already in use'
        : err.code === 'EACCES' ? 'needs privileges this process lacks'
        : err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' ? 'is not an address of this machine'
        : `cannot be listened on (${err.code ?? err.message})`;
      reject(new ConfigError('METRICS_ADDRESS', `${address} ${reason}`));
    });
    server.listen(port, host, () => resolve());
  });
}

import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { AppModule } from './app.module.js';
import { type ClusterConnection, openCluster } from './cluster/cluster-connection.js';
import type { AppConfig } from './config/app-config.js';
import { ConfigError } from './config/config-error.js';
import { loadConfig, redactUrl } from './config/load-config.js';
import { openDatabase } from './database/database.js';
import { setupSwagger } from './docs/swagger.js';
import { ConclaveSocketAdapter } from './messages/socket-adapter.js';
import { startMetricsListener } from './metrics/metrics-listener.js';
import { MetricsService } from './metrics/metrics.service.js';
import { createRootLogger } from './logging/root-logger.js';
import { FILE_STORAGE, type FileStorage } from './files/file-storage.js';
import { securityHeaders } from './security/headers.js';
import { refuseInsecureUpgrades, requireForwardedHttps, startRedirectServer } from './security/https-only.js';
import { httpsServerOptions, resolveTls, type TlsMaterial } from './security/tls.js';
import { Shutdown } from './shutdown.js';

const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createRootLogger(config);
  const shutdown = new Shutdown(log);

  const tls = await resolveTls(config);
  const database = await openDatabase(config, (line) => log.debug({ component: 'postgres' }, line));
  shutdown.add(() => database.stop());
  log.info({ database: database.embedded ? 'embedded' : redactUrl(database.url) }, 'database ready');

  const cluster = await openCluster(config, database.url, log).catch(async (err: unknown) => {
    await database.stop();
    throw err;
  });
  shutdown.add(() => cluster.close());

  await serveHttp(config, tls, database.url, cluster, log)
    .then((http) => shutdown.add(() => http.close()))
    .catch(async (err: unknown) => {
      await cluster.close();
      await database.stop();
      throw err;
    });

  log.info(
    { version: VERSION, port: config.port, httpPort: config.httpPort || null, tls: tls?.origin ?? 'terminated by the proxy (TRUST_PROXY)', sha256: tls?.fingerprint256, fanOut: cluster.fanOut },
    `Conclave listening on ${config.trustProxy ? 'http' : 'https'}://localhost:${config.port}`,
  );
}

/** The Nest app on PORT (HTTPS, or HTTP behind the proxy), the redirect listener on HTTP_PORT and the metrics one on METRICS_ADDRESS. */
async function serveHttp(config: AppConfig, tls: TlsMaterial | undefined, databaseUrl: string, cluster: ClusterConnection, log: Logger): Promise<{ close(): Promise<void> }> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ config, databaseUrl, logger: log, cluster }), {
    httpsOptions: tls ? httpsServerOptions(tls) : undefined,
    bufferLogs: true,
    abortOnError: false,
    forceCloseConnections: true,
  });
  try {
    configureHttp(app, config, cluster, log);
    await (config.host ? app.listen(config.port, config.host) : app.listen(config.port)).catch(portError('PORT', config.port));
    const redirect = config.httpPort ? await startRedirectServer(config).catch(portError('HTTP_PORT', config.httpPort)) : undefined;
    const metrics = config.metrics.listen ? await startMetricsListener(app.get(MetricsService), config.metrics.listen) : undefined;
    return {
      close: async () => {
        redirect?.close();
        await metrics?.close();
        await app.close();
      },
    };
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
}

function configureHttp(app: NestExpressApplication, config: AppConfig, cluster: ClusterConnection, log: Logger): void {
  app.useLogger(app.get(NestPinoLogger));
  app.useWebSocketAdapter(new ConclaveSocketAdapter(app, config, cluster.adapter));
  app.disable('x-powered-by');
  const server = app.getHttpServer() as Server;
  // Failed handshakes are scanners and old clients, not our errors.
  server.on('tlsClientError', (err) => log.debug(`TLS handshake failed: ${err.message}`));
  if (config.trustProxy) {
    app.set('trust proxy', 1);
    app.use(requireForwardedHttps(config));
    refuseInsecureUpgrades(server);
  }
  app.use(securityHeaders(config, app.get<FileStorage>(FILE_STORAGE).downloadOrigin));
  // Every body is checked against its class-validator DTO: unknown fields and bad values are a 400.
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  setupSwagger(app, VERSION);
}

/** A port that cannot be bound is the operator's to fix: say which variable. */
function portError(variable: string, port: number) {
  return (err: NodeJS.ErrnoException): never => {
    if (err.code === 'EADDRINUSE') throw new ConfigError(variable, `port ${port} is already in use`);
    if (err.code === 'EACCES') throw new ConfigError(variable, `port ${port} needs privileges this process lacks`);
    throw err;
  };
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`conclave: ${err.message}\n`);
  } else {
    process.stderr.write(`conclave: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
});

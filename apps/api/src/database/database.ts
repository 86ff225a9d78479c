import pg from 'pg';
import type { AppConfig } from '../config/app-config.js';
import { ConfigError } from '../config/config-error.js';
import { redactUrl } from '../config/load-config.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export interface DatabaseHandle {
  readonly url: string;
  readonly embedded: boolean;
  /** Stops the embedded cluster; a no-op for an external DATABASE_URL. */
  stop(): Promise<void>;
}

/** DATABASE_URL when set (checked reachable now, so a typo fails the start), else embedded PostgreSQL. */
export async function openDatabase(config: AppConfig, log: (message: string) => void): Promise<DatabaseHandle> {
  if (config.databaseUrl === undefined) {
    const cluster = await startEmbeddedPostgres(config.dataDir, log);
    return { url: cluster.url, embedded: true, stop: () => cluster.stop() };
  }
  const client = new pg.Client({ connectionString: config.databaseUrl, connectionTimeoutMillis: config.databaseTimeouts.connectMs });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError('DATABASE_URL', `cannot connect to ${redactUrl(config.databaseUrl)} (${reason})`);
  } finally {
    await client.end().catch(() => undefined);
  }
  return { url: config.databaseUrl, embedded: false, stop: async () => undefined };
}

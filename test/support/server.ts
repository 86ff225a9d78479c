import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePorts } from './ports.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(REPO_ROOT, 'apps/api/dist/main.js');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * What the client helpers (accounts, sockets, membership, api-tokens, db) need of a Conclave
 * endpoint: a ServerProcess, or the proxy in front of several instances (test/support/cluster.ts).
 */
export interface Endpoint {
  /** Where clients connect (and the Origin they send). */
  readonly origin: string;
  /** The certificate to verify TLS against (the proxy's behind one); a proxied instance has none. */
  readonly certificate: Buffer;
  /** Plain HTTP that trusts X-Forwarded-Proto (an instance behind a proxy, reached directly). */
  readonly proxied: boolean;
  /** The database behind the endpoint, for sql() to set up or inspect what the API cannot. */
  databaseUrl(): string;
}

export interface ServerOptions {
  /** Extra environment; PORT, HTTP_PORT and DATA_DIR are chosen unless given. */
  env?: Record<string, string>;
  dataDir?: string;
  /** Own process group, so a test can signal the group as a terminal's Ctrl-C does. */
  detached?: boolean;
}

/** A real Conclave process (apps/api/dist/main.js) on free ports with its own data directory. */
export class ServerProcess implements Endpoint {
  readonly exited: Promise<Exit>;
  private out = '';
  private err = '';

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly httpPort: number,
    readonly dataDir: string,
    readonly env: Record<string, string>,
  ) {
    child.stdout!.on('data', (chunk: Buffer) => (this.out += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.err += chunk.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  static async spawn(options: ServerOptions = {}): Promise<ServerProcess> {
    const dataDir = options.dataDir ?? newDataDir();
    const [port, httpPort] = await freePorts(2);
    const env: Record<string, string> = {
      PORT: String(port),
      HTTP_PORT: String(httpPort),
      DATA_DIR: dataDir,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      ...options.env,
    };
    const child = spawn(process.execPath, [MAIN], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.detached ?? false,
    });
    return new ServerProcess(child, Number(env.PORT), Number(env.HTTP_PORT), dataDir, env);
  }

  /**
   * Spawns and waits until /ping answers; throws with the process output if it never does. Ports it
   * picked that another process took in the meantime (suites run in parallel) are picked again.
   */
  static async start(options: ServerOptions = {}): Promise<ServerProcess> {
    const ownPorts = !options.env?.PORT && !options.env?.HTTP_PORT;
    for (let attempt = 1; ; attempt++) {
      const server = await ServerProcess.spawn(options);
      try {
        await server.ready();
        return server;
      } catch (err) {
        const portTaken = /^conclave: (HTTP_)?PORT: port \d+ is already in use/m.test(server.stderr);
        if (!ownPorts || !portTaken || attempt === 3) throw err;
        options = { ...options, dataDir: server.dataDir };
      }
    }
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  get proxied(): boolean {
    return ['1', 'true'].includes(this.env.TRUST_PROXY ?? '');
  }

  /** The self-signed certificate the server generated (to verify TLS against, not to skip it). */
  get certificate(): Buffer {
    return readFileSync(join(this.dataDir, 'tls/cert.pem'));
  }

  /** https://localhost:<port> (the self-signed certificate names localhost). */
  get origin(): string {
    return `${this.proxied ? 'http' : 'https'}://localhost:${this.port}`;
  }

  /** Connection string of the embedded cluster, read from its lock file and password file. */
  embeddedDatabaseUrl(): string {
    const lock = readFileSync(join(this.dataDir, 'postgres/postmaster.pid'), 'utf8').split('\n');
    const password = readFileSync(join(this.dataDir, 'postgres.secret'), 'utf8').trim();
    return `postgres://conclave:${encodeURIComponent(password)}@127.0.0.1:${lock[3]}/conclave`;
  }

  /** DATABASE_URL when the server has one, else its embedded cluster's. */
  databaseUrl(): string {
    return this.env.DATABASE_URL ?? this.embeddedDatabaseUrl();
  }

  async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exit: Exit | undefined;
    void this.exited.then((e) => (exit = e));
    while (Date.now() < deadline) {
      if (exit) throw new Error(`server exited (${JSON.stringify(exit)}) before it was ready:\n${this.out}\n${this.err}`);
      if ((await this.pingStatus().catch(() => 0)) === 200) return;
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`server not ready after ${timeoutMs} ms:\n${this.out}\n${this.err}`);
  }

  private pingStatus(): Promise<number> {
    return new Promise((resolve, reject) => {
      const options = { host: '127.0.0.1', port: this.port, path: '/ping', rejectUnauthorized: false, timeout: 2000 };
      const req = (this.proxied ? httpRequest : httpsRequest)(options, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end();
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

const dataDirs: string[] = [];

/** A throw-away DATA_DIR, removed by removeDataDirs() when the suite ends (test/support/cleanup.ts). */
export function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'conclave-test-'));
  dataDirs.push(dir);
  return dir;
}

export function removeDataDirs(): void {
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

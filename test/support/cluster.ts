import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { io, type Socket, type SocketOptions, type ManagerOptions } from 'socket.io-client';
import request from 'supertest';
import { FAST_AUTH_ENV } from './accounts.js';
import { freePort, freePorts } from './ports.js';
import { ExternalPostgres } from './postgres.js';
import { type Endpoint, type Exit, newDataDir, REPO_ROOT, ServerProcess } from './server.js';

/** The example configuration shipped to operators: the suites run HAProxy with exactly this file. */
export const HAPROXY_CONFIG = join(REPO_ROOT, 'docs/deployment/haproxy.cfg');
const HAPROXY = '/usr/sbin/haproxy';
const REDIS_SERVER = '/usr/bin/redis-server';

export interface ClusterOptions {
  /** Also start redis-server and give the instances REDIS_URL. */
  redis?: boolean;
  /** Extra environment for both instances. */
  env?: Record<string, string>;
}

/** A child process whose output is kept, for errors and for waiting on a line. */
class Child {
  readonly exited: Promise<Exit>;
  output = '';

  constructor(readonly process: ChildProcess) {
    process.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    process.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => process.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves once the output (from `from` on) matches `pattern`; throws with the output if the process exits or time runs out. */
  async waitFor(pattern: RegExp, what: string, from = 0, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exit: Exit | undefined;
    void this.exited.then((e) => (exit = e));
    while (!pattern.test(this.output.slice(from))) {
      if (exit) throw new Error(`${what}: exited (${JSON.stringify(exit)}):\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill(signal);
    return this.exited;
  }
}

/** Debian's redis-server on a free loopback port, nothing saved to disk. */
async function startRedis(): Promise<{ url: string; child: Child }> {
  const port = await freePort();
  const child = new Child(
    spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', newDataDir()], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  await child.waitFor(/Ready to accept connections/, 'redis-server');
  return { url: `redis://127.0.0.1:${port}`, child };
}

/** A certificate for localhost made for the test, in the one-file form HAProxy's `crt` takes (chain, then key). */
async function proxyCertificate(dir: string): Promise<{ pemFile: string; cert: Buffer }> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  const pemFile = join(dir, 'conclave.pem');
  writeFileSync(pemFile, `${pems.cert.trim()}\n${pems.private.trim()}\n`, { mode: 0o600 });
  return { pemFile, cert: Buffer.from(pems.cert) };
}

/** The proxy as a client sees it: the helpers (accounts, sockets, membership…) take it where they take a ServerProcess. */
class ProxyEndpoint implements Endpoint {
  readonly proxied = false;
  constructor(
    readonly origin: string,
    readonly certificate: Buffer,
    private readonly database: string,
  ) {}

  databaseUrl(): string {
    return this.database;
  }
}

/**
 * Two Conclave instances (TRUST_PROXY=1) on one PostgreSQL database, optionally with Redis, behind
 * Debian's HAProxy running docs/deployment/haproxy.cfg, which terminates TLS with a certificate
 * made for the test. Instance i is the config's server conclave<i+1>.
 */
export class Cluster {
  private constructor(
    readonly proxy: Endpoint,
    readonly instances: ServerProcess[],
    private readonly haproxy: Child,
    private readonly postgres: ExternalPostgres,
    private readonly redis: Child | undefined,
  ) {}

  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    const dir = newDataDir();
    const postgres = await ExternalPostgres.start();
    const redis = options.redis ? await startRedis() : undefined;
    const started: ServerProcess[] = [];
    let haproxy: Child | undefined;
    try {
      const databaseUrl = await postgres.createDatabase('conclave_cluster');
      const [httpsPort, httpPort, ...instancePorts] = await freePorts(4);
      const publicOrigin = `https://localhost:${httpsPort}`;
      const secret = () => randomBytes(32).toString('base64url');
      const shared: Record<string, string> = {
        ...FAST_AUTH_ENV,
        REGISTER_LIMIT_PER_HOUR: '1000',
        NODE_ENV: 'production',
        TRUST_PROXY: '1',
        PUBLIC_ORIGIN: publicOrigin,
        DATABASE_URL: databaseUrl,
        SESSION_SECRET: secret(),
        LOGIN_DEVICE_SECRET: secret(),
        FILE_LINK_SECRET: secret(),
        FILE_STORAGE_DIR: newDataDir(),
        ...(redis ? { REDIS_URL: redis.url } : {}),
        ...options.env,
      };
      // One after the other, as a rolling start does: the second announces itself to the first, which
      // answers at once. Started together, each may miss the other's first announcement and count
      // only itself for up to a heartbeat (2 s): a roster asked then lacks the other's users.
      for (const port of instancePorts) {
        started.push(await ServerProcess.start({ env: { ...shared, PORT: String(port) } }));
      }
      const { pemFile, cert } = await proxyCertificate(dir);
      haproxy = new Child(
        spawn(HAPROXY, ['-f', HAPROXY_CONFIG, '-db'], {
          cwd: dir,
          env: {
            PATH: process.env.PATH ?? '',
            CONCLAVE_BIND_ADDRESS: '127.0.0.1',
            CONCLAVE_PUBLIC_PORT: String(httpsPort),
            CONCLAVE_HTTP_PORT: String(httpPort),
            CONCLAVE_TLS_PEM: pemFile,
            CONCLAVE_INSTANCE_1: `127.0.0.1:${instancePorts[0]}`,
            CONCLAVE_INSTANCE_2: `127.0.0.1:${instancePorts[1]}`,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      const cluster = new Cluster(new ProxyEndpoint(publicOrigin, cert, databaseUrl), started, haproxy, postgres, redis?.child);
      await cluster.proxyReady();
      return cluster;
    } catch (err) {
      await haproxy?.stop();
      await Promise.all(started.map((s) => s.stop()));
      await redis?.child.stop();
      await postgres.stop();
      throw err;
    }
  }

  /** Waits until HAProxy answers /ping over TLS (a request it forwards to an instance). */
  private async proxyReady(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await request(this.proxy.origin).get('/ping').ca(this.proxy.certificate).timeout(2000).then((r) => r.status, () => 0);
      if (status === 200) return;
      if (this.haproxy.process.exitCode !== null || Date.now() > deadline) throw new Error(`HAProxy not answering /ping:\n${this.haproxy.output}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  /** What HAProxy printed (its log and its server state changes). */
  get proxyOutput(): string {
    return this.haproxy.output;
  }

  /** The instance's server name in the HAProxy configuration. */
  static serverName(index: number): string {
    return `conclave/conclave${index + 1}`;
  }

  /** kill -9 of instance `index`; resolves once it is gone. */
  kill(index: number): Promise<Exit> {
    return this.instances[index]!.stop('SIGKILL');
  }

  /**
   * Starts instance `index` again on its port, data directory and environment, and waits until
   * HAProxy's health check has brought it back into rotation.
   */
  async restart(index: number): Promise<ServerProcess> {
    const old = this.instances[index]!;
    if (old.child.exitCode === null && old.child.signalCode === null) throw new Error(`instance ${index} is still running`);
    const from = this.haproxy.output.length;
    const server = await ServerProcess.start({ dataDir: old.dataDir, env: old.env });
    this.instances[index] = server;
    await this.haproxy.waitFor(new RegExp(`Server ${Cluster.serverName(index)} is UP`), `HAProxy bringing ${Cluster.serverName(index)} back`, from);
    return server;
  }

  /** Resolves once HAProxy has marked instance `index` down (its health checks failed). */
  async markedDown(index: number, timeoutMs = 20_000): Promise<void> {
    await this.haproxy.waitFor(new RegExp(`Server ${Cluster.serverName(index)} is DOWN`), `HAProxy marking ${Cluster.serverName(index)} down`, 0, timeoutMs);
  }

  /**
   * A socket straight to instance `index` (plain HTTP to its port, as HAProxy forwards one), so a
   * test can put users on a given instance: through the proxy, round robin decides.
   */
  connectTo(index: number, cookie: string, options: Partial<ManagerOptions & SocketOptions> = {}): Socket {
    return io(`http://127.0.0.1:${this.instances[index]!.port}`, {
      transports: ['websocket'],
      extraHeaders: { Origin: this.proxy.origin, 'X-Forwarded-Proto': 'https', Cookie: cookie },
      reconnection: false,
      forceNew: true,
      ...options,
    });
  }

  /** A socket through HAProxy that reconnects by itself (socket.io-client's backoff, kept short), as a browser tab does. */
  connectThroughProxy(cookie: string): Socket {
    return io(this.proxy.origin, {
      transports: ['websocket'],
      ca: this.proxy.certificate.toString(),
      extraHeaders: { Origin: this.proxy.origin, Cookie: cookie },
      reconnection: true,
      reconnectionDelay: 200,
      reconnectionDelayMax: 1000,
      randomizationFactor: 0.2,
      forceNew: true,
    });
  }

  /**
   * A request straight to instance `index` as HAProxy forwards it (plain HTTP, X-Forwarded-Proto
   * https, the client's address in X-Forwarded-For), with the proxy's Origin.
   */
  direct(index: number, method: 'get' | 'post' | 'put' | 'delete', path: string, clientAddress = '192.0.2.10'): request.Test {
    return request(`http://127.0.0.1:${this.instances[index]!.port}`)
      [method](path)
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-For', clientAddress)
      .set('Origin', this.proxy.origin);
  }

  async stop(): Promise<void> {
    await this.haproxy.stop();
    await Promise.all(this.instances.map((s) => s.stop()));
    await this.redis?.stop();
    await this.postgres.stop();
  }
}

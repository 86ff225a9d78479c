import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import pg, { type Pool } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ClusterLocks, LOCK_KEY } from './cluster-locks.js';
import { DATABASE_POOL } from './database-pool.js';
import { dataSourceOptions } from './data-source-options.js';
import { DatabaseUnavailableFilter } from './database-unavailable.filter.js';
import { UnstorableTextFilter } from './unstorable-text.filter.js';

export { DATABASE_POOL };

/**
 * A statement PostgreSQL does not answer at all (a hung server cannot enforce statement_timeout) is
 * given up on this long after statement_timeout, so that the server's own cancellation, which keeps
 * the connection usable, normally comes first.
 */
const UNANSWERED_MARGIN_MS = 1000;

/**
 * TypeORM on the database main.ts opened, with bounded waits: a statement, a connection and a
 * statement that gets no answer all fail (DATABASE_*_TIMEOUT_MS) instead of holding a request for
 * as long as PostgreSQL is hung. Such failures, and a database that is down, are answered with 503
 * (DatabaseUnavailableFilter); the pool replaces broken connections, so nothing needs a restart.
 */
@Module({})
export class DatabaseModule {
  static forRoot(url: string): DynamicModule {
    const log = new Logger('Database');
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        { provide: DATABASE_POOL, inject: [getDataSourceToken()], useFactory: (db: DataSource): Pool => (db.driver as PostgresDriver).master as Pool },
        ClusterLocks,
        { provide: APP_FILTER, useClass: DatabaseUnavailableFilter },
        { provide: APP_FILTER, useClass: UnstorableTextFilter },
      ],
      exports: [DATABASE_POOL, ClusterLocks],
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: ({ databaseTimeouts: { statementMs, connectMs } }: AppConfig) => ({
            ...dataSourceOptions(url),
            migrationsRun: false,
            autoLoadEntities: true,
            // main.ts already proved the database reachable; fail fast rather than retry for 30 s.
            retryAttempts: 0,
            connectTimeoutMS: connectMs,
            extra: { statement_timeout: statementMs, query_timeout: statementMs + UNANSWERED_MARGIN_MS },
            // A connection lost while idle in the pool (a restart, pg_terminate_backend): the pool drops it.
            poolErrorHandler: (err: Error) => log.warn(`an idle database connection was lost (${err.message})`),
          }),
          dataSourceFactory: async (options?: DataSourceOptions) => {
            await runMigrations(url);
            return new DataSource(options!);
          },
        }),
      ],
    };
  }
}

/**
 * Pending migrations run before the app takes requests, on a connection of their own without the
 * request timeouts: a migration of a large table may rightly take longer than any request should.
 *
 * Instances started together on one database (a rolling upgrade, a fresh deployment) would each
 * find the same migrations pending and run them at once: the second CREATE TABLE fails and so
 * does that instance's start. So they run under a blocking advisory lock: the others wait for it,
 * then find nothing pending. The lock is its connection's: ending it (or the process) frees it.
 */
async function runMigrations(url: string): Promise<void> {
  const lock = new pg.Client({ connectionString: url, application_name: 'conclave-migrations' });
  // Lost while migrating (a database restart): the migrations' own connection fails too, and so does the start.
  lock.on('error', (err) => new Logger('Database').warn(`the migration lock's connection was lost (${err.message})`));
  await lock.connect();
  try {
    await lock.query(`SELECT pg_advisory_lock(${LOCK_KEY})`, ['migrations']);
    const migrator = await new DataSource({ ...dataSourceOptions(url), migrationsRun: true }).initialize();
    await migrator.destroy();
  } finally {
    await lock.end().catch(() => undefined);
  }
}

import { finished } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DataSource, MigrationExecutor, type QueryRunner } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { MIGRATIONS } from '../database/migrations/index.js';
import { BackupError, type BackupHeader, END_OF_TABLE, parseHeader, parseTrailer, readLines, write } from './backup-file.js';
import { currentSchema, type SchemaTable, schemaTables } from './schema.js';

export interface RestoreOptions {
  /** Drop what the target schema holds first (in the same transaction) instead of refusing it. */
  replace: boolean;
  warn(line: string): void;
}

export interface RestoreSummary {
  tables: number;
  rows: number;
  migrations: string[];
}

type Lines = AsyncIterator<string, undefined>;

/**
 * Loads a backup into an empty database in one transaction, so a failure leaves the target as it
 * was: the schema is rebuilt by this build's migrations up to the level the backup recorded (the
 * schema belongs to the migrations, not to the dump), then every table is emptied of what the
 * migrations wrote and loaded with the backup's rows, and every sequence is set to its saved state.
 * Migrations newer than the backup run at the next start of the server, as after any upgrade.
 */
export async function restoreDatabase(url: string, input: Readable, options: RestoreOptions): Promise<RestoreSummary> {
  const lines: Lines = readLines(input);
  const header = parseHeader((await lines.next()).value);
  const dataSource = new DataSource({
    ...(dataSourceOptions(url) as PostgresDataSourceOptions),
    migrations: recordedMigrations(header),
    migrationsRun: false,
    applicationName: 'conclave-restore',
    poolSize: 1,
  });
  await dataSource.initialize();
  const runner = dataSource.createQueryRunner();
  try {
    const client = (await runner.connect()) as pg.PoolClient;
    await runner.startTransaction();
    await client.query(`SET LOCAL statement_timeout = 0`);
    await client.query(`SET LOCAL idle_in_transaction_session_timeout = 0`);
    const qualified = qualifier(client, await currentSchema(client));
    await emptySchema(client, options.replace);
    await runMigrations(dataSource, runner, header);

    const tables = new Map((await schemaTables(client)).map((t) => [t.name, t]));
    await client.query(`TRUNCATE ${[...tables.keys()].map(qualified).join(', ')}`);
    const withTriggers = await tablesWithUserTriggers(client);
    for (const name of withTriggers) await client.query(`ALTER TABLE ${qualified(name)} DISABLE TRIGGER USER`);

    const loaded: Record<string, number> = {};
    for (const dumped of header.tables) {
      const target = tables.get(dumped.name);
      if (!target) {
        options.warn(`skipped table ${dumped.name}: this Conclave's migrations do not create it (its rows stay in the backup file only)`);
        loaded[dumped.name] = await skipTable(lines, dumped.name);
        continue;
      }
      const missing = dumped.columns.filter((c) => !target.columns.includes(c));
      if (missing.length) throw new BackupError(`table ${dumped.name} has no column ${missing.join(', ')} after the backup's migrations ran: the backup does not match this schema`);
      loaded[dumped.name] = await loadTable(client, qualified(dumped.name), dumped.columns, lines);
    }

    const trailer = parseTrailer((await lines.next()).value);
    if (!(await lines.next()).done) throw new BackupError('the backup has data after its trailer: the file is damaged');
    for (const { name } of header.tables) {
      if (trailer.rows[name] !== loaded[name]) throw new BackupError(`table ${name}: the backup says ${trailer.rows[name]} rows, ${loaded[name]} were read: the file is damaged`);
    }
    for (const sequence of trailer.sequences) {
      const { rows } = await client.query(`SELECT to_regclass($1) AS id`, [qualified(sequence.name)]);
      if (!rows[0].id) throw new BackupError(`sequence ${sequence.name} does not exist after the backup's migrations ran: the backup does not match this schema`);
      await client.query(`SELECT setval($1::regclass, $2::bigint, $3)`, [qualified(sequence.name), sequence.lastValue, sequence.isCalled]);
    }
    for (const name of withTriggers) await client.query(`ALTER TABLE ${qualified(name)} ENABLE TRIGGER USER`);
    await runner.commitTransaction();
    // Fresh planner statistics now, rather than whenever autovacuum gets to the new rows.
    await client.query(`ANALYZE ${[...tables.keys()].map(qualified).join(', ')}`);
    return { tables: header.tables.length, rows: Object.values(loaded).reduce((a, b) => a + b, 0), migrations: header.migrations };
  } catch (err) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw err;
  } finally {
    await runner.release().catch(() => undefined);
    await dataSource.destroy().catch(() => undefined);
  }
}

/** This build's migration classes for the names the backup recorded; a name it lacks is a newer Conclave's. */
export function recordedMigrations(header: BackupHeader): Array<(typeof MIGRATIONS)[number]> {
  const known = new Map(MIGRATIONS.map((migration) => [migration.name, migration]));
  const unknown = header.migrations.filter((name) => !known.has(name));
  if (unknown.length) {
    throw new BackupError(`the backup comes from a newer Conclave (this one lacks migration ${unknown.join(', ')}): restore it with that version or a later one`);
  }
  return header.migrations.map((name) => known.get(name)!);
}

/** Runs the recorded migrations inside the restore's transaction (TypeORM neither begins nor commits one of its own). */
async function runMigrations(dataSource: DataSource, runner: QueryRunner, header: BackupHeader): Promise<void> {
  const executor = new MigrationExecutor(dataSource, runner);
  executor.transaction = 'all';
  const ran = await executor.executePendingMigrations();
  if (ran.length !== header.migrations.length) {
    throw new BackupError(`the target's schema already has migrations applied (${header.migrations.length - ran.length} of the backup's): it is not empty`);
  }
}

/**
 * Refuses a schema that holds any table, view or sequence, unless told to replace it: then it is
 * emptied (tables, views, sequences, types, functions; not what extensions own).
 */
async function emptySchema(client: pg.ClientBase, replace: boolean): Promise<void> {
  const notFromExtension = (catalog: string, column: string) =>
    `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${catalog}'::regclass AND d.objid = ${column} AND d.deptype = 'e')`;
  const { rows: relations } = await client.query<{ kind: string; name: string }>(
    `SELECT c.relkind AS kind, format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND ${notFromExtension('pg_class', 'c.oid')}
     ORDER BY c.relname`,
  );
  if (relations.length === 0) return;
  if (!replace) {
    const names = relations.map((r) => r.name.replace(/^.*\./, ''));
    throw new BackupError(`the target database is not empty (${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''}): restore into an empty database, or pass --replace to drop its contents first`);
  }
  const drop = { r: 'TABLE', p: 'TABLE', f: 'FOREIGN TABLE', v: 'VIEW', m: 'MATERIALIZED VIEW', S: 'SEQUENCE' } as Record<string, string>;
  for (const { kind, name } of relations) await client.query(`DROP ${drop[kind]} IF EXISTS ${name} CASCADE`);
  const { rows: types } = await client.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, t.typname) AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = current_schema() AND t.typtype IN ('e', 'd', 'r') AND ${notFromExtension('pg_type', 't.oid')}`,
  );
  for (const { name } of types) await client.query(`DROP TYPE IF EXISTS ${name} CASCADE`);
  const { rows: routines } = await client.query<{ name: string }>(
    `SELECT p.oid::regprocedure::text AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = current_schema() AND ${notFromExtension('pg_proc', 'p.oid')}`,
  );
  for (const { name } of routines) await client.query(`DROP ROUTINE IF EXISTS ${name} CASCADE`);
}

async function tablesWithUserTriggers(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT DISTINCT c.relname AS name FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND NOT t.tgisinternal`,
  );
  return rows.map((r) => r.name);
}

/** Feeds one table's rows to COPY FROM STDIN in batches; returns how many there were. */
async function loadTable(client: pg.ClientBase, table: string, columns: string[], lines: Lines): Promise<number> {
  const copy = client.query(copyFrom(`COPY ${table} (${columns.map((c) => client.escapeIdentifier(c)).join(', ')}) FROM STDIN`));
  const done = finished(copy);
  done.catch(() => undefined); // awaited below; an early failure also surfaces through write()
  let rows = 0;
  try {
    let batch: string[] = [];
    let size = 0;
    for (;;) {
      const { value: line, done: end } = await lines.next();
      if (end) throw new BackupError(`the backup ends inside table ${table}: the file is incomplete`);
      if (line === END_OF_TABLE) break;
      batch.push(line);
      size += line.length;
      rows++;
      if (size >= 256 * 1024) {
        await Promise.race([write(copy, batch.join('\n') + '\n'), done]);
        [batch, size] = [[], 0];
      }
    }
    if (batch.length) await Promise.race([write(copy, batch.join('\n') + '\n'), done]);
    copy.end();
    await done;
  } catch (err) {
    copy.destroy(); // CopyFail: the server ends the COPY, the transaction is rolled back by the caller
    throw err;
  }
  if (copy.rowCount !== rows) throw new BackupError(`table ${table}: PostgreSQL loaded ${copy.rowCount} rows of ${rows}`);
  return rows;
}

async function skipTable(lines: Lines, table: string): Promise<number> {
  for (let rows = 0; ; rows++) {
    const next = await lines.next();
    if (next.done) throw new BackupError(`the backup ends inside table ${table}: the file is incomplete`);
    if (next.value === END_OF_TABLE) return rows;
  }
}

function qualifier(client: pg.ClientBase, schema: string): (name: string) => string {
  return (name) => `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(name)}`;
}

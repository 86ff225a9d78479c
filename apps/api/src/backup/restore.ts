import { finished } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DataSource, MigrationExecutor, type QueryRunner } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { MIGRATIONS } from '../database/migrations/index.js';
import { BackupError, type BackupHeader, type BackupTrailer, END_OF_TABLE, parseHeader, parseTrailer, readLines, type SequenceState, write } from './backup-file.js';
import { currentSchema, emptySchema, type SchemaTable, schemaTables, tablesWithUserTriggers } from './schema.js';

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
    const tables = await schemaTables(client);
    const loaded = await loadRows(client, qualified, tables, header, lines, options.warn);
    const trailer = await readTrailer(lines, header, loaded);
    await setSequences(client, qualified, trailer.sequences);
    await runner.commitTransaction();
    // Fresh planner statistics now, rather than whenever autovacuum gets to the new rows.
    await client.query(`ANALYZE ${tables.map((t) => qualified(t.name)).join(', ')}`);
    const restored = tables.reduce((sum, t) => sum + (loaded[t.name] ?? 0), 0);
    return { tables: tables.filter((t) => t.name in loaded).length, rows: restored, migrations: header.migrations };
  } catch (err) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw err;
  } finally {
    await runner.release().catch(() => undefined);
    await dataSource.destroy().catch(() => undefined);
  }
}

/**
 * Replaces what the migrations wrote with the backup's rows, table by table in the file's order
 * (referenced tables first), with user triggers off as pg_dump's restore has them (they fired when
 * the rows were first written). Returns the rows read per table, skipped ones included.
 */
async function loadRows(client: pg.ClientBase, qualified: (name: string) => string, tables: SchemaTable[], header: BackupHeader, lines: Lines, warn: (line: string) => void): Promise<Record<string, number>> {
  const byName = new Map(tables.map((t) => [t.name, t]));
  await client.query(`TRUNCATE ${tables.map((t) => qualified(t.name)).join(', ')}`);
  const withTriggers = await tablesWithUserTriggers(client);
  for (const name of withTriggers) await client.query(`ALTER TABLE ${qualified(name)} DISABLE TRIGGER USER`);
  const loaded: Record<string, number> = {};
  for (const dumped of header.tables) {
    const target = byName.get(dumped.name);
    if (!target) {
      warn(`skipped table ${dumped.name}: this Conclave's migrations do not create it (its rows stay in the backup file only)`);
      loaded[dumped.name] = await skipTable(lines, dumped.name);
      continue;
    }
    const missing = dumped.columns.filter((c) => !target.columns.includes(c));
    if (missing.length) throw new BackupError(`table ${dumped.name} has no column ${missing.join(', ')} after the backup's migrations ran: the backup does not match this schema`);
    loaded[dumped.name] = await loadTable(client, qualified(dumped.name), dumped.columns, lines);
  }
  for (const name of withTriggers) await client.query(`ALTER TABLE ${qualified(name)} ENABLE TRIGGER USER`);
  return loaded;
}

/** The trailer, which must end the file and agree with the rows read: anything else is a damaged file. */
async function readTrailer(lines: Lines, header: BackupHeader, loaded: Record<string, number>): Promise<BackupTrailer> {
  const trailer = parseTrailer((await lines.next()).value);
  if (!(await lines.next()).done) throw new BackupError('the backup has data after its trailer: the file is damaged');
  for (const { name } of header.tables) {
    if (trailer.rows[name] !== loaded[name]) throw new BackupError(`table ${name}: the backup says ${trailer.rows[name]} rows, ${loaded[name]} were read: the file is damaged`);
  }
  return trailer;
}

async function setSequences(client: pg.ClientBase, qualified: (name: string) => string, sequences: SequenceState[]): Promise<void> {
  for (const sequence of sequences) {
    const { rows } = await client.query<{ id: string | null }>(`SELECT to_regclass($1)::text AS id`, [qualified(sequence.name)]);
    if (!rows[0]!.id) throw new BackupError(`sequence ${sequence.name} does not exist after the backup's migrations ran: the backup does not match this schema`);
    await client.query(`SELECT setval($1::regclass, $2::bigint, $3)`, [qualified(sequence.name), sequence.lastValue, sequence.isCalled]);
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

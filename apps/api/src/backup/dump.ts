import type { Writable } from 'node:stream';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { BACKUP_FORMAT, BACKUP_VERSION, BackupError, type BackupHeader, type BackupTrailer, END_OF_TABLE, type SequenceState, write } from './backup-file.js';
import { currentSchema, schemaTables } from './schema.js';

export interface DumpSummary {
  tables: number;
  rows: number;
  migrations: string[];
}

/**
 * Writes every table of the database's current schema (the migrations table included) to `out`,
 * all read in one REPEATABLE READ transaction: one snapshot, as pg_dump takes, so the copy is
 * consistent while the server keeps writing. ACCESS SHARE locks (what pg_dump takes) keep a
 * migration from altering a table half-way; they do not block reads or writes.
 */
export async function dumpDatabase(url: string, out: Writable, conclaveVersion: string): Promise<DumpSummary> {
  const client = new pg.Client({ connectionString: url, application_name: 'conclave-backup' });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    await client.query(`SET LOCAL statement_timeout = 0`);
    await client.query(`SET LOCAL idle_in_transaction_session_timeout = 0`);
    await client.query(`SET LOCAL lock_timeout = '60s'`);
    const tables = await schemaTables(client);
    if (!tables.some((t) => t.name === 'migrations')) {
      throw new BackupError('not a Conclave database: its schema has no migrations table (has Conclave ever started on it?)');
    }
    const schema = client.escapeIdentifier(await currentSchema(client));
    const qualified = (name: string) => `${schema}.${client.escapeIdentifier(name)}`;
    await client.query(`LOCK TABLE ${tables.map((t) => qualified(t.name)).join(', ')} IN ACCESS SHARE MODE`);

    const header: BackupHeader = {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      createdAt: new Date().toISOString(),
      conclaveVersion,
      postgresVersion: (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version,
      migrations: (await client.query<{ name: string }>(`SELECT name FROM ${qualified('migrations')} ORDER BY id`)).rows.map((r) => r.name),
      tables: tables.map(({ name, columns }) => ({ name, columns })),
    };
    await write(out, JSON.stringify(header) + '\n');

    const rows: Record<string, number> = {};
    for (const table of header.tables) rows[table.name] = await copyTable(client, qualified(table.name), table.columns, out);
    const trailer: BackupTrailer = { end: true, rows, sequences: await sequenceStates(client, qualified) };
    await write(out, JSON.stringify(trailer) + '\n');
    await client.query('COMMIT');
    return { tables: tables.length, rows: Object.values(rows).reduce((a, b) => a + b, 0), migrations: header.migrations };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Streams one table as COPY text and returns its row count (one row ends with one newline). */
async function copyTable(client: pg.Client, table: string, columns: string[], out: Writable): Promise<number> {
  const list = columns.map((c) => client.escapeIdentifier(c)).join(', ');
  const stream = client.query(copyTo(`COPY ${table} (${list}) TO STDOUT`));
  let rows = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) rows++;
    await write(out, chunk);
  }
  await write(out, END_OF_TABLE + '\n');
  return rows;
}

/** Sequences are not transactional: read last, each value is at least what a copied row used. */
async function sequenceStates(client: pg.Client, qualified: (name: string) => string): Promise<SequenceState[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind = 'S' ORDER BY c.relname`,
  );
  const states: SequenceState[] = [];
  for (const { name } of rows) {
    const { rows: [state] } = await client.query<{ last_value: string; is_called: boolean }>(`SELECT last_value::text, is_called FROM ${qualified(name)}`);
    states.push({ name, lastValue: state!.last_value, isCalled: state!.is_called });
  }
  return states;
}

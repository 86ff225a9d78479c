import type { Readable, Writable } from 'node:stream';
import { once } from 'node:events';

/**
 * A Conclave backup is one gzip file of text lines:
 *   1. a header (one JSON line): the migrations applied, then every table with its columns, in load order;
 *   2. per table, its rows in PostgreSQL's COPY text format (one row a line), closed by a line `\.`;
 *   3. a trailer (one JSON line): the row count of each table and every sequence's state.
 * A file without its trailer is incomplete and is refused. COPY's text format escapes newlines and
 * backslashes inside values, so neither a row line nor `\.` can be mistaken for the other.
 */
export const BACKUP_FORMAT = 'conclave-backup';
export const BACKUP_VERSION = 1;
export const END_OF_TABLE = '\\.';

export interface TableDump {
  name: string;
  columns: string[];
}

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: typeof BACKUP_VERSION;
  createdAt: string;
  conclaveVersion: string;
  postgresVersion: string;
  /** The migrations table's names, in the order they ran: the schema level to rebuild. */
  migrations: string[];
  tables: TableDump[];
}

export interface SequenceState {
  name: string;
  lastValue: string;
  isCalled: boolean;
}

export interface BackupTrailer {
  end: true;
  rows: Record<string, number>;
  /** Read after the rows, so each value is at least what any copied row used. */
  sequences: SequenceState[];
}

/** A failure the operator can act on: printed as one line, exit code 1. */
export class BackupError extends Error {
  override name = 'BackupError';
}

export function parseHeader(line: string | undefined): BackupHeader {
  const header = parseJson(line) as Partial<BackupHeader> | undefined;
  if (header?.format !== BACKUP_FORMAT) throw new BackupError('not a Conclave backup (no conclave-backup header)');
  if (header.version !== BACKUP_VERSION) throw new BackupError(`backup format version ${header.version} is not supported (this Conclave reads version ${BACKUP_VERSION})`);
  const tablesOk = Array.isArray(header.tables) && header.tables.every((t) => typeof t?.name === 'string' && Array.isArray(t.columns) && t.columns.every((c) => typeof c === 'string'));
  if (!tablesOk || !Array.isArray(header.migrations) || !header.migrations.every((m) => typeof m === 'string')) {
    throw new BackupError('the backup header is damaged');
  }
  return header as BackupHeader;
}

export function parseTrailer(line: string | undefined): BackupTrailer {
  const trailer = parseJson(line) as Partial<BackupTrailer> | undefined;
  if (trailer?.end !== true || typeof trailer.rows !== 'object' || !Array.isArray(trailer.sequences)) {
    throw new BackupError('the backup has no trailer after its last table: the file is incomplete');
  }
  return trailer as BackupTrailer;
}

function parseJson(line: string | undefined): unknown {
  try {
    return line === undefined ? undefined : JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** The lines of a text stream; a read or decompression error rejects the iteration. */
export async function* readLines(input: Readable): AsyncGenerator<string> {
  input.setEncoding('utf8');
  let rest = '';
  for await (const chunk of input as AsyncIterable<string>) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    yield* lines;
  }
  if (rest !== '') yield rest;
}

/** Writes with back-pressure: waits for 'drain' when the stream's buffer is full. */
export async function write(out: Writable, text: string | Buffer): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

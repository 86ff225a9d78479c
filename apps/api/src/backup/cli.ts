import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { access, rename, rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { createGunzip, createGzip } from 'node:zlib';
import { ConfigError } from '../config/config-error.js';
import { BackupError, parseHeader, readLines } from './backup-file.js';
import { dumpDatabase } from './dump.js';
import { type LocatedDatabase, locateDatabase } from './locate-database.js';
import { recordedMigrations, restoreDatabase } from './restore.js';

const VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

type Say = (line: string) => void;

/** `npm run backup -- [FILE]`: the database the server uses (same DATABASE_URL / DATA_DIR) into FILE. */
export function backupCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return command('backup', async (say) => {
    const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
    if (positionals.length > 1) throw new BackupError('usage: npm run backup -- [FILE]');
    const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z').replaceAll(':', '-');
    const file = userPath(positionals[0] ?? `conclave-${stamp}.backup.gz`, env);
    if (await exists(file)) throw new BackupError(`${file} already exists: choose another name`);
    await withDatabase(env, 'backup', say, async (database) => {
      const summary = await writeAtomically(file, (out) => dumpDatabase(database.url, out, VERSION));
      const size = (await stat(file)).size;
      say(`${database.description}: ${summary.rows} rows in ${summary.tables} tables, schema at ${summary.migrations.at(-1)}`);
      say(`wrote ${file} (${(size / 1024).toFixed(1)} KiB)`);
    });
  });
}

/** `npm run restore -- FILE [--replace]`: FILE into the database the server would use, which must be empty. */
export function restoreCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return command('restore', async (say) => {
    const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { replace: { type: 'boolean', default: false } } });
    if (positionals.length !== 1) throw new BackupError('usage: npm run restore -- FILE [--replace]');
    const file = userPath(positionals[0]!, env);
    await access(file).catch(() => {
      throw new BackupError(`cannot read ${file}`);
    });
    // A file that is no backup, or one from a newer Conclave, is refused before anything is started or created.
    await readingBackup(file, async (input) => {
      const lines = readLines(input);
      recordedMigrations(parseHeader((await lines.next()).value));
    });
    await withDatabase(env, 'restore', say, (database) =>
      readingBackup(file, async (input) => {
        const summary = await restoreDatabase(database.url, input, { replace: values.replace, warn: say });
        say(`${database.description}: restored ${summary.rows} rows in ${summary.tables} tables, schema at ${summary.migrations.at(-1)}`);
      }),
    );
  });
}

/** The decompressed file for `read`; a gzip error (a damaged or foreign file) becomes a BackupError. */
async function readingBackup(file: string, read: (input: Readable) => Promise<void>): Promise<void> {
  const input = createGunzip();
  const source = createReadStream(file).on('error', (err) => input.destroy(err));
  try {
    await read(source.pipe(input));
  } catch (err) {
    if (String((err as NodeJS.ErrnoException).code).startsWith('Z_')) {
      throw new BackupError(`${file} is damaged or not a Conclave backup (${(err as Error).message}); nothing was restored`);
    }
    throw err;
  } finally {
    source.destroy();
    input.destroy();
  }
}

async function command(name: string, body: (say: Say) => Promise<void>): Promise<number> {
  const say: Say = (line) => console.log(`conclave ${name}: ${line}`);
  try {
    await body(say);
    return 0;
  } catch (err) {
    // Operator-fixable failures (bad input, a refused target, a database error) are one line; a bug keeps its stack.
    const expected = err instanceof BackupError || err instanceof ConfigError || typeof (err as { code?: unknown }).code === 'string';
    console.error(`conclave ${name}: ${expected ? (err as Error).message : (err as Error).stack ?? String(err)}`);
    return 1;
  }
}

/** Opens the database, runs `use`, and closes it, also on Ctrl-C (the embedded PostgreSQL this started must not outlive us). */
async function withDatabase(env: NodeJS.ProcessEnv, purpose: 'backup' | 'restore', say: Say, use: (database: LocatedDatabase) => Promise<void>): Promise<void> {
  const database = await locateDatabase(env, purpose, (line) => say(line));
  const interrupted = () => void database.close().finally(() => process.exit(130));
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    await use(database);
  } catch (err) {
    // A database's own error (refused connection, wrong password, SQL error) says which database.
    const fromDatabase = !(err instanceof BackupError) && typeof (err as { code?: unknown }).code === 'string';
    throw fromDatabase ? new BackupError(`${database.description}: ${(err as Error).message}`) : err;
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    await database.close();
  }
}

/** Gzips what `produce` writes into FILE.<pid>.partial (mode 0600), renamed to FILE only once complete. */
async function writeAtomically<T>(file: string, produce: (out: Writable) => Promise<T>): Promise<T> {
  const partial = `${file}.${process.pid}.partial`;
  const gzip = createGzip();
  const written = pipeline(gzip, createWriteStream(partial, { flags: 'wx', mode: 0o600, flush: true }));
  let writeFailure: unknown; // a file that cannot be written also fails produce(), through the destroyed gzip
  written.catch((err: unknown) => (writeFailure = err));
  try {
    const result = await produce(gzip);
    gzip.end();
    await written;
    await rename(partial, file);
    return result;
  } catch (err) {
    const cause = writeFailure ?? err;
    gzip.destroy();
    await written.catch(() => undefined);
    await rm(partial, { force: true });
    throw cause;
  }
}

/** npm runs scripts in the package root; a path the operator typed is relative to where they typed it. */
function userPath(path: string, env: NodeJS.ProcessEnv): string {
  return resolve(env.INIT_CWD ?? process.cwd(), path);
}

const exists = (path: string) => stat(path).then(() => true, () => false);

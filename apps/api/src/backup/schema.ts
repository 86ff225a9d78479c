import type pg from 'pg';
import { BackupError } from './backup-file.js';

export interface SchemaTable {
  name: string;
  /** Stored columns in table order (generated columns are computed again on load). */
  columns: string[];
}

/** The schema Conclave's tables are in: the connection's current schema, as for the app. */
export async function currentSchema(client: pg.ClientBase): Promise<string> {
  const { rows: [row] } = await client.query<{ schema: string | null }>('SELECT current_schema() AS schema');
  if (!row?.schema) throw new BackupError('the connection has no current schema (check search_path)');
  return row.schema;
}

/**
 * The plain tables of the current schema (not those of an extension), referenced tables before
 * the tables whose foreign keys point at them, so rows can be loaded in this order.
 */
export async function schemaTables(client: pg.ClientBase): Promise<SchemaTable[]> {
  const { rows: tables } = await client.query<{ oid: number; name: string; columns: string[] }>(
    `SELECT c.oid::int AS oid, c.relname AS name,
            array(SELECT a.attname::text FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
                  ORDER BY a.attnum) AS columns
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind = 'r'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
     ORDER BY c.relname`,
  );
  const { rows: references } = await client.query<{ child: number; parent: number }>(
    `SELECT conrelid::int AS child, confrelid::int AS parent FROM pg_constraint WHERE contype = 'f' AND conrelid <> confrelid`,
  );
  return parentsFirst(tables, references).map(({ name, columns }) => ({ name, columns }));
}

/** Depth-first topological order; a cycle (none in Conclave's schema) keeps name order within it. */
function parentsFirst<T extends { oid: number }>(tables: T[], references: Array<{ child: number; parent: number }>): T[] {
  const byOid = new Map(tables.map((t) => [t.oid, t]));
  const ordered: T[] = [];
  const seen = new Set<number>();
  const visit = (table: T) => {
    if (seen.has(table.oid)) return;
    seen.add(table.oid);
    for (const { parent } of references.filter((r) => r.child === table.oid)) {
      const referenced = byOid.get(parent);
      if (referenced) visit(referenced);
    }
    ordered.push(table);
  };
  tables.forEach(visit);
  return ordered;
}

/**
 * Refuses a schema that holds any table, view or sequence, unless told to replace it: then it is
 * emptied (tables, views, sequences, types, functions; not what extensions own).
 */
export async function emptySchema(client: pg.ClientBase, replace: boolean): Promise<void> {
  const notFromExtension = (catalog: string, column: string) =>
    `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${catalog}'::regclass AND d.objid = ${column} AND d.deptype = 'e')`;
  const { rows: relations } = await client.query<{ kind: string; name: string }>(
    `SELECT c.relkind AS kind, format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND ${notFromExtension('pg_class', 'c.oid')}
     ORDER BY c.relkind IN ('r', 'p', 'f') DESC, c.relname`, // tables first: an identity sequence can only go with its table
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

export async function tablesWithUserTriggers(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT DISTINCT c.relname AS name FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND NOT t.tgisinternal`,
  );
  return rows.map((r) => r.name);
}

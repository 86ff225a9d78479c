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

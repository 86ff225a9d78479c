/**
 * The admin lists' opaque cursors: base64url of a small JSON object holding the sort key of the last
 * row a page returned. Clients pass nextCursor back unchanged; what they send is decoded and checked
 * field by field before it reaches a query.
 */

const CURSOR_SHAPE = /^[A-Za-z0-9_-]{1,400}$/;

export function encodeCursor(key: Record<string, string>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The key in `cursor` when it decodes to an object whose fields all pass `fields`' checks; undefined otherwise. */
export function decodeCursor<K extends string>(cursor: unknown, fields: Record<K, RegExp>): Record<K, string> | undefined {
  if (typeof cursor !== 'string' || !CURSOR_SHAPE.test(cursor)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const object = parsed as Record<string, unknown>;
  const names = Object.keys(fields) as K[];
  if (Object.keys(object).length !== names.length) return undefined;
  for (const name of names) {
    const value = object[name];
    if (typeof value !== 'string' || !fields[name].test(value)) return undefined;
  }
  return object as Record<K, string>;
}

export const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A timestamp to the microsecond in UTC, as PostgreSQL's to_char prints it for a cursor. */
export const MICROSECOND_TIME_SHAPE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{6}Z$/;

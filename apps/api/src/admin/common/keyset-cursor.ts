import type { Page } from '@conclave/contracts';

/**
 * An opaque page cursor (README "Administration"): the sort key of a page's last item, as base64url
 * JSON. Clients pass it back unchanged; what comes back is checked by `isKey`, so a cursor that was
 * edited, truncated or made for another list is refused rather than trusted.
 */
export class KeysetCursor<K> {
  constructor(
    /** Names the list, e.g. 'users'. */
    readonly list: string,
    private readonly isKey: (value: unknown) => value is K,
    /** The 400's message for a cursor this list did not make. */
    readonly refusal = `cursor is not a cursor of the ${list} list: pass back a nextCursor unchanged`,
  ) {}

  encode(key: K): string {
    return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
  }

  /** The key, or undefined for anything this list's encode() did not make. */
  decode(cursor: string): K | undefined {
    if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) return undefined;
    try {
      const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      return this.isKey(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The page out of up to `limit + 1` rows (one more than asked tells whether a next page exists):
   * the first `limit`, and the cursor of the last of them when more follow.
   */
  page<T>(rows: T[], limit: number, keyOf: (row: T) => K): Page<T> {
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? this.encode(keyOf(items.at(-1)!)) : null };
  }
}

/** An object with exactly these string fields, each passing its check. */
export function isRecordOf<F extends string>(checks: Record<F, (value: string) => boolean>) {
  const fields = Object.keys(checks) as F[];
  return (value: unknown): value is Record<F, string> =>
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === fields.length &&
    fields.every((field) => {
      const v = (value as Record<string, unknown>)[field];
      return typeof v === 'string' && checks[field](v);
    });
}

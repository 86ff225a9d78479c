import { ApiPropertyOptional } from '@nestjs/swagger';
import { ADMIN_PAGE_DEFAULT, ADMIN_PAGE_MAX } from '@conclave/contracts';
import { Transform } from 'class-transformer';
import { isISO8601, ValidateBy } from 'class-validator';
import type { KeysetCursor } from './keyset-cursor.js';

/**
 * A field checked by one function that names what is wrong (or undefined when nothing is): one
 * clear message per field, where stacking class-validator's decorators would repeat or contradict
 * themselves (a missing name is also "too short" and "not a string").
 */
export const Checked = (name: string, problemOf: (value: unknown, dto: object) => string | undefined) =>
  ValidateBy({
    name,
    validator: {
      validate: (value, args) => problemOf(value, args!.object) === undefined,
      defaultMessage: (args) => problemOf(args!.value, args!.object) ?? '',
    },
  });

/** "12" becomes 12; anything else stays as it came, for the check to refuse with its message. */
const toWholeNumber = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value);

/** `?limit=` of every admin list. */
export class PageQueryDto {
  @ApiPropertyOptional({ type: 'integer', description: 'Items per page', minimum: 1, maximum: ADMIN_PAGE_MAX, default: ADMIN_PAGE_DEFAULT, example: ADMIN_PAGE_DEFAULT })
  @Transform(toWholeNumber)
  @Checked('isPageLimit', (value) =>
    Number.isInteger(value) && (value as number) >= 1 && (value as number) <= ADMIN_PAGE_MAX ? undefined : `limit must be a whole number from 1 to ${ADMIN_PAGE_MAX}`,
  )
  limit: number = ADMIN_PAGE_DEFAULT;
}

/** A `?cursor=` this list's KeysetCursor made (a nextCursor passed back unchanged). */
export const IsCursorOf = (cursor: KeysetCursor<unknown>) =>
  Checked('isCursorOf', (value) => (typeof value === 'string' && cursor.decode(value) !== undefined ? undefined : cursor.refusal));

/**
 * Why `value` is not an ISO 8601 date (2026-01-31, midnight UTC) or date-time with its zone
 * (2026-01-31T12:00:00Z, …+02:00): a time without a zone would be read in the server's zone, which
 * the caller cannot know.
 */
export function isoTimeProblem(field: string, value: unknown): string | undefined {
  const valid =
    typeof value === 'string' &&
    /^\d{4}-\d{2}-\d{2}($|T.*(Z|[+-]\d{2}:?\d{2})$)/.test(value) &&
    isISO8601(value, { strict: true, strictSeparator: true }) &&
    !Number.isNaN(Date.parse(value));
  return valid ? undefined : `${field} must be an ISO 8601 date-time with its zone (e.g. 2026-01-31T12:00:00Z) or a date (2026-01-31)`;
}

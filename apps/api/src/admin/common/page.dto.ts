import type { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import type { Page } from '@conclave/contracts';

/**
 * The schema of an admin list's Page<T> (OpenAPI names one class per list, so each list extends
 * its own): `item`s in the list's `order`, and the cursor of the next page.
 */
export function PageDto<T>(item: Type<T>, { order, cursorExample }: { order: string; cursorExample: string }) {
  class PageOfItems implements Page<T> {
    @ApiProperty({ type: [item], description: order })
    items!: T[];

    @ApiProperty({ type: String, nullable: true, example: cursorExample, description: 'Pass as cursor for the next page; null on the last page' })
    nextCursor!: string | null;
  }
  return PageOfItems;
}

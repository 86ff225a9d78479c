import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { ROOM_CODE_PATTERN } from '@conclave/contracts';

/** The room code `value` names, upper-cased (people type "ab3k"); undefined when it cannot be one. */
export function roomCodeOf(value: unknown): string | undefined {
  const code = typeof value === 'string' ? value.trim().toUpperCase() : '';
  return ROOM_CODE_PATTERN.test(code) ? code : undefined;
}

/** A room code from the URL, checked against the alphabet: 400 otherwise. */
@Injectable()
export class RoomCodePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    const code = roomCodeOf(value);
    if (code === undefined) throw new BadRequestException('A room code is 4 characters: letters and digits without 0, O, 1, I or L');
    return code;
  }
}

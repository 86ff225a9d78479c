import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { ROOM_CODE_PATTERN } from '@conclave/contracts';

/** A room code from the URL: upper-cased (people type "ab3k"), then checked against the alphabet. */
@Injectable()
export class RoomCodePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    const code = String(value ?? '').trim().toUpperCase();
    if (!ROOM_CODE_PATTERN.test(code)) throw new BadRequestException('A room code is 4 characters: letters and digits without 0, O, 1, I or L');
    return code;
  }
}

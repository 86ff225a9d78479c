import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { FILE_ID_PATTERN } from '@conclave/contracts';

/** A file id from the URL: a lower-case UUID, as the uploader made it (400 otherwise). */
@Injectable()
export class FileIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!FILE_ID_PATTERN.test(String(value))) throw new BadRequestException('fileId must be a lower-case UUID');
    return value;
  }
}

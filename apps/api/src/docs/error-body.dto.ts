import { ApiProperty } from '@nestjs/swagger';
import type { ErrorBody } from '@conclave/contracts';

/** Every error answer of the API, as Nest's exception filters write it (libs/contracts ErrorBody). */
export class ErrorBodyDto implements ErrorBody {
  @ApiProperty({ example: 404 })
  statusCode!: number;

  @ApiProperty({ example: 'Not Found', description: "The status's reason phrase" })
  error!: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: 'No room with code K7QX',
    description: 'What went wrong, for a person to read; a list when several request fields are invalid',
  })
  message!: string | string[];
}

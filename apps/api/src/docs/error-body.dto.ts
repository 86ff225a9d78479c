import { ApiProperty } from '@nestjs/swagger';
import type { ErrorBody } from '@conclave/contracts';

/** Every error answer of the API (Nest's shape), as the OpenAPI document describes it. */
export class ErrorBodyDto implements ErrorBody {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request' })
  error!: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    description: 'What was wrong: one sentence, or one per invalid field (request validation)',
    example: ['limit must be a whole number from 1 to 200'],
  })
  message!: string | string[];
}

import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { API_PATHS, type ClientConfig, LIMITS } from '@conclave/contracts';
import { Public } from '../auth/principal/decorators.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ApiMalformedBodyResponse } from '../docs/route-docs.js';

export class ClientConfigDto implements ClientConfig {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: LIMITS.messageBodyCharsMax, example: LIMITS.messageBodyChars, description: 'Characters in a message (MESSAGE_MAX_CHARS)' })
  messageChars!: number;
}

/** What a browser must know of this deployment before it sends: public, as the limit is no secret. */
@ApiTags('config')
@Controller(API_PATHS.config.prefix)
@Public()
export class ClientConfigController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get()
  @ApiOperation({ summary: "The deployment's settings a client follows (the message limit)" })
  @ApiOkResponse({ type: ClientConfigDto })
  @ApiMalformedBodyResponse()
  get(): ClientConfig {
    return { messageChars: this.config.chat.message.maxChars };
  }
}

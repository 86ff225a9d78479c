import { Controller, Get, NotFoundException, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { API_PATHS, type UserKeysResponse } from '@conclave/contracts';
import { ApiSession, ApiUuidParam } from '../docs/route-docs.js';
import { UserKeysResponseDto } from './response.dto.js';
import { UsersService } from './users/users.service.js';

/** The key directory: anyone signed in may fetch anyone's public keys (they are public by design). */
@ApiTags('users')
@Controller(API_PATHS.users.prefix)
@ApiSession()
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get(API_PATHS.users.keys)
  @ApiOperation({ summary: "A user's public keys (RSA-OAEP enc, ECDSA sig), for wrapping room keys and checking signatures" })
  @ApiUuidParam('id', 'The user id')
  @ApiOkResponse({ type: UserKeysResponseDto })
  @ApiBadRequestResponse({ description: 'The id is not a UUID' })
  @ApiNotFoundResponse({ description: 'No such user' })
  async keys(@Param('id', new ParseUUIDPipe()) id: string): Promise<UserKeysResponse> {
    const user = await this.users.findById(id);
    if (!user) throw new NotFoundException('No such user');
    return { id: user.id, username: user.username, publicKeys: { enc: user.encPublicKey, sig: user.sigPublicKey } };
  }
}

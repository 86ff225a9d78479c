import { Controller, Get, NotFoundException, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { UserKeysResponse } from '@conclave/contracts';
import { UsersService } from './users/users.service.js';

/** The key directory: anyone signed in may fetch anyone's public keys (they are public by design). */
@ApiTags('users')
@Controller('api/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get(':id/keys')
  @ApiOperation({ summary: "A user's public keys (RSA-OAEP enc, ECDSA sig), for wrapping room keys and checking signatures" })
  @ApiOkResponse()
  @ApiNotFoundResponse()
  async keys(@Param('id', new ParseUUIDPipe()) id: string): Promise<UserKeysResponse> {
    const user = await this.users.findById(id);
    if (!user) throw new NotFoundException('No such user');
    return { id: user.id, username: user.username, publicKeys: { enc: user.encPublicKey, sig: user.sigPublicKey } };
  }
}

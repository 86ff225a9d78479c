import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { ChatGateway } from './chat.gateway.js';

/** The chat gateway (and, next, the message store and history). */
@Module({
  imports: [AuthModule, RoomsModule],
  providers: [ChatGateway],
})
export class MessagesModule {}

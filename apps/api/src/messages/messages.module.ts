import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { SecurityModule } from '../security/security.module.js';
import { ChatGateway } from './chat.gateway.js';
import { ClientConfigController } from './client-config.controller.js';
import { MessageRateLimiter } from './message-rate-limiter.js';
import { MessageSignatures } from './message-signatures.js';
import { MessagesService } from './messages.service.js';

/** The message store (signatures checked): the room's log of messages, edits, deletions and membership lines; history; the chat gateway; the client's settings. */
@Module({
  imports: [AuthModule, RoomsModule, SecurityModule, MetricsModule],
  controllers: [ClientConfigController],
  providers: [ChatGateway, MessagesService, MessageRateLimiter, MessageSignatures],
  exports: [MessagesService],
})
export class MessagesModule {}

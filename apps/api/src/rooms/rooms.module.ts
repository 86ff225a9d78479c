import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { SecurityModule } from '../security/security.module.js';
import { KeysService } from './keys.service.js';
import { RoomAccessGuard } from './room-access.guard.js';
import { RoomEvents } from './room-events.js';
import { RoomProbeBudget } from './room-probes.js';
import { RoomsController } from './rooms.controller.js';
import { RoomKeysGateway } from './rooms.gateway.js';
import { RoomsService } from './rooms.service.js';

/** Rooms, membership and room administration over REST, the key events over Socket.IO; the access guard and probe budget are shared with the chat gateway. */
@Module({
  imports: [AuthModule, SecurityModule],
  controllers: [RoomsController],
  providers: [RoomsService, RoomEvents, KeysService, RoomProbeBudget, RoomAccessGuard, RoomKeysGateway],
  exports: [RoomsService, RoomEvents, KeysService, RoomProbeBudget, RoomAccessGuard],
})
export class RoomsModule {}

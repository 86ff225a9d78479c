import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { SecurityModule } from '../security/security.module.js';
import { KeysService } from './keys.service.js';
import { RoomEvents } from './room-events.js';
import { RoomsController } from './rooms.controller.js';
import { RoomsService } from './rooms.service.js';

/** Rooms, membership and room administration over REST (the live channel arrives with the gateway). */
@Module({
  imports: [AuthModule, SecurityModule],
  controllers: [RoomsController],
  providers: [RoomsService, RoomEvents, KeysService],
  exports: [RoomsService, RoomEvents, KeysService],
})
export class RoomsModule {}

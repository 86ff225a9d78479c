import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { SecurityModule } from '../security/security.module.js';
import { AdminRoomsService } from './admin-rooms.service.js';
import { AdmissionsGateway } from './admissions.gateway.js';
import { KeysService } from './keys.service.js';
import { AdmissionsService } from './membership/admissions.service.js';
import { InvitesController } from './membership/invites.controller.js';
import { InvitesService } from './membership/invites.service.js';
import { JoinRequestsService } from './membership/join-requests.service.js';
import { MembershipEvents } from './membership/membership-events.js';
import { RoomDetailService } from './membership/room-detail.service.js';
import { RoomPasswordService } from './membership/room-password.service.js';
import { RoomAccessGuard } from './room-access.guard.js';
import { RoomEvents } from './room-events.js';
import { RoomProbeBudget } from './room-probes.js';
import { RoomUpdatesGateway } from './room-updates.gateway.js';
import { RoomsController } from './rooms.controller.js';
import { RoomKeysGateway } from './rooms.gateway.js';
import { RoomsService } from './rooms.service.js';

/** Rooms, membership and room administration over REST, the key and admission events over Socket.IO; the access guard and probe budget are shared with the chat gateway. */
@Module({
  imports: [AuthModule, SecurityModule],
  controllers: [RoomsController, InvitesController],
  providers: [
    RoomsService,
    RoomEvents,
    KeysService,
    RoomProbeBudget,
    RoomAccessGuard,
    MembershipEvents,
    AdmissionsService,
    JoinRequestsService,
    InvitesService,
    RoomPasswordService,
    RoomDetailService,
    RoomKeysGateway,
    AdmissionsGateway,
    RoomUpdatesGateway,
    AdminRoomsService,
  ],
  exports: [RoomsService, RoomEvents, KeysService, RoomProbeBudget, RoomAccessGuard, AdminRoomsService],
})
export class RoomsModule {}

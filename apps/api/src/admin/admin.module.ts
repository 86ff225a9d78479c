import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { ADMIN_API_PREFIX } from '@conclave/contracts';
import { AuthModule } from '../auth/auth.module.js';
import { FilesModule } from '../files/files.module.js';
import { MessagesModule } from '../messages/messages.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { SecurityModule } from '../security/security.module.js';
import { AdminAuditController } from './audit/admin-audit.controller.js';
import { AdminCallRecorder } from './common/admin-call.recorder.js';
import { AdminJobsController } from './jobs/admin-jobs.controller.js';
import { AdminJobsService } from './jobs/admin-jobs.service.js';
import { AdminRoomsController } from './rooms/admin-rooms.controller.js';
import { AdminTokensController } from './tokens/admin-tokens.controller.js';
import { AdminTokensService } from './tokens/admin-tokens.service.js';
import { AdminUsersController } from './users/admin-users.controller.js';
import { AdminUsersService } from './users/admin-users.service.js';
import { RoomAdministration } from './rooms/room-administration.service.js';
import { RoomDeletionRunner } from './jobs/room-deletion.runner.js';

/**
 * The integrators' admin API (/api/admin/v1; README "Administration"): rooms, users, API tokens and
 * the audit log, for site admins' sessions and scoped API tokens. Metadata only: no route adds a
 * member, grants a key or opens history. It owns admin_jobs and reaches every other table through
 * the owning module's exported services.
 */
@Module({
  imports: [AuthModule, SecurityModule, RoomsModule, MessagesModule, FilesModule],
  controllers: [AdminRoomsController, AdminJobsController, AdminUsersController, AdminTokensController, AdminAuditController],
  providers: [AdminJobsService, RoomDeletionRunner, RoomAdministration, AdminUsersService, AdminTokensService],
})
export class AdminModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Every admin call is audited, refusals included (README "Administration").
    consumer.apply(AdminCallRecorder).forRoutes(`${ADMIN_API_PREFIX}/{*path}`);
  }
}

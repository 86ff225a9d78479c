import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { FilesModule } from '../files/files.module.js';
import { MessagesModule } from '../messages/messages.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { SecurityModule } from '../security/security.module.js';
import { AdminAuditController } from './audit/admin-audit.controller.js';
import { AdminTokensController } from './tokens/admin-tokens.controller.js';
import { AdminTokensService } from './tokens/admin-tokens.service.js';
import { AdminUsersController } from './users/admin-users.controller.js';
import { AdminUsersService } from './users/admin-users.service.js';

/**
 * The integrators' admin API (/api/admin/v1; README "Administration"): rooms, users, API tokens and
 * the audit log, for site admins' sessions and scoped API tokens. Metadata only: no route adds a
 * member, grants a key or opens history. It owns admin_jobs and reaches every other table through
 * the owning module's exported services.
 */
@Module({
  imports: [AuthModule, SecurityModule, RoomsModule, MessagesModule, FilesModule],
  controllers: [AdminUsersController, AdminTokensController, AdminAuditController],
  providers: [AdminUsersService, AdminTokensService],
})
export class AdminModule {}

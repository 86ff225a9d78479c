import { ConflictException, ForbiddenException, Injectable } from '@nestjs/common';
import type { AdminUserDetail, AdminUserSummary, Page } from '@conclave/contracts';
import type { Actor } from '../../auth/principal/principal.js';
import { SessionStoreService } from '../../auth/session/session-store.service.js';
import { type AdminUserRecord, UsersService } from '../../auth/users/users.service.js';
import { RoomsService } from '../../rooms/rooms.service.js';
import { AuditService } from '../../security/audit/audit.service.js';
import { type AdminUsersQueryDto, USERS_CURSOR } from './dto.js';

const NOT_YOURSELF = 'An admin cannot disable their own account (an API token acts for the admin who made it)';
const ADMINS_NEED_A_SESSION =
  "An API token cannot disable, enable or end the sessions of a site admin: an admin signed in must (tokens never change who administers)";
const NOT_YOUR_OWN_ADMIN = 'You cannot revoke your own admin rights: another admin must (so the last admin cannot lock everyone out by mistake)';

/**
 * The admin API's users (README "Administration"): the auth module's stores put together (the
 * account, its live sessions, its rooms), and the changes an admin makes, each audited with who
 * made it, through which token, and to whom.
 */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionStoreService,
    private readonly rooms: RoomsService,
    private readonly audit: AuditService,
  ) {}

  async page({ limit, cursor, q }: AdminUsersQueryDto): Promise<Page<AdminUserSummary>> {
    const after = cursor === undefined ? undefined : USERS_CURSOR.decode(cursor)!.username;
    const records = await this.users.adminPage({ after, prefix: q, limit: limit + 1 });
    return USERS_CURSOR.page(records.map(summaryOf), limit, (user) => ({ username: user.username }));
  }

  async detail(userId: string): Promise<AdminUserDetail> {
    const [user, sessions, rooms] = await Promise.all([this.users.adminUser(userId), this.sessions.countOf(userId), this.rooms.membershipsOf(userId)]);
    return { ...user, sessions, rooms };
  }

  /** Refuses sign-in and ends every session (their sockets close at the chat gateway's next sweep). */
  async disable(userId: string, actor: Actor, ip: string | undefined): Promise<AdminUserDetail> {
    if (actor.actorId === userId) throw new ConflictException(NOT_YOURSELF);
    await this.refuseTokenOnAdmin(userId, actor);
    const { changed, sessionsEnded, tokensRevoked } = await this.users.disable(userId);
    if (changed) await this.record('user.disabled', actor, userId, ip, { sessionsEnded, tokensRevoked });
    return this.detail(userId);
  }

  async enable(userId: string, actor: Actor, ip: string | undefined): Promise<AdminUserDetail> {
    await this.refuseTokenOnAdmin(userId, actor);
    if (await this.users.enable(userId)) await this.record('user.enabled', actor, userId, ip);
    return this.detail(userId);
  }

  /** Signs the user out everywhere (they can sign in again). */
  async endSessions(userId: string, actor: Actor, ip: string | undefined): Promise<void> {
    await this.refuseTokenOnAdmin(userId, actor);
    const sessions = await this.users.endSessions(userId);
    await this.record('user.sessions_ended', actor, userId, ip, { sessions });
  }

  /** Grants or revokes site admin (an admin's session only: AdminPolicy). */
  async setAdmin(userId: string, admin: boolean, actor: Actor, ip: string | undefined): Promise<AdminUserDetail> {
    if (!admin && actor.actorId === userId) throw new ConflictException(NOT_YOUR_OWN_ADMIN);
    if (await this.users.setAdmin(userId, admin)) await this.record(admin ? 'admin.granted' : 'admin.revoked', actor, userId, ip, { by: 'api' });
    return this.detail(userId);
  }

  /**
   * A users:write token may act on accounts, not on admins: otherwise a leaked token could disable
   * every admin, or re-enable a compromised one (the admin set is changed by admins' sessions only).
   * 404 for an unknown id.
   */
  private async refuseTokenOnAdmin(userId: string, actor: Actor): Promise<void> {
    const target = await this.users.adminUser(userId);
    if (actor.tokenId !== null && target.admin) throw new ForbiddenException(ADMINS_NEED_A_SESSION);
  }

  private record(event: string, actor: Actor, target: string, ip: string | undefined, details: Record<string, string | number> = {}): Promise<void> {
    return this.audit.record({ event, ...actor, target, ip: ip ?? null, details });
  }
}

function summaryOf({ disabledAt: _disabledAt, ...summary }: AdminUserRecord): AdminUserSummary {
  return summary;
}

import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { AuditService } from '../../security/audit/audit.service.js';
import { UsersService } from '../users/users.service.js';

/**
 * ADMIN_USERNAMES (README "Administration"): how the first site admins are made. At start every
 * named account that exists, is not an admin and never had its admin right revoked becomes one; a
 * named username not taken yet becomes an admin when it registers, but only while the deployment
 * has no admin at all. A name removed from the list keeps its admin right: revoking is explicit.
 */
@Injectable()
export class AdminUsernames implements OnApplicationBootstrap {
  private readonly log = new Logger('AdminUsernames');
  private readonly named: ReadonlySet<string>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly users: UsersService,
    private readonly audit: AuditService,
  ) {
    this.named = new Set(config.admin.usernames);
  }

  /** Whether a username registering now becomes a site admin. */
  names(username: string): boolean {
    return this.named.has(username);
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const user of await this.users.grantAdminByUsername([...this.named])) {
      await this.granted(user.username);
      this.log.log(`${user.username} is a site admin (ADMIN_USERNAMES)`);
    }
    // Until then, whoever registers such a name first becomes the first admin: say so, loudly.
    for (const name of await this.users.unregistered([...this.named])) {
      this.log.warn(`ADMIN_USERNAMES names "${name}", which nobody has registered: register it now (while this deployment has no admin, whoever registers it first becomes a site admin)`);
    }
  }

  /** The audit record of an admin right given because of ADMIN_USERNAMES (at start or at registration). */
  granted(username: string): Promise<void> {
    return this.audit.record({ event: 'admin.granted', details: { by: 'ADMIN_USERNAMES', username } });
  }
}

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { readOrCreateSecretFile } from './secret-file.js';

/** Where the session cookie secret was kept before it left the database. */
const LEGACY_SESSION_SECRET = 'session-cookie';

/**
 * Secrets every instance must share. The session cookie's signing key never touches the database
 * (with the session table, a copy of it would let anyone sign a cookie): it is SESSION_SECRET, or
 * DATA_DIR/session.secret. Secrets whose theft grants no account, such as the captcha HMAC, are made
 * once, at random, by whichever instance needs one first, and kept in the database.
 */
@Injectable()
export class ServerSecretsService {
  private readonly log = new Logger(ServerSecretsService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async get(name: string): Promise<string> {
    await this.db.query(`INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [
      name,
      randomBytes(32).toString('base64url'),
    ]);
    const [row] = await this.db.query(`SELECT value FROM server_secrets WHERE name = $1`, [name]);
    return row.value as string;
  }

  /**
   * The key that signs session cookies. On the first start after an upgrade, the key an older
   * version kept in the database moves to DATA_DIR/session.secret (so nobody is signed out), and
   * the database copy is deleted in any case.
   */
  async sessionCookie(): Promise<string> {
    const [legacy] = await this.db.query(`SELECT value FROM server_secrets WHERE name = $1`, [LEGACY_SESSION_SECRET]);
    const secret = this.config.auth.sessionSecret ?? (await readOrCreateSecretFile(join(this.config.dataDir, 'session.secret'), (message) => this.log.warn(message), legacy?.value));
    await this.db.query(`DELETE FROM server_secrets WHERE name = $1`, [LEGACY_SESSION_SECRET]);
    return secret;
  }
}

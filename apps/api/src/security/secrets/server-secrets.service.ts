import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { readOrCreateSecretFile } from './secret-file.js';

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
   * The key that signs session cookies: SESSION_SECRET, or DATA_DIR/session.secret (made at random on
   * first start). Never the database (the key an older version kept there was dropped by a migration).
   */
  sessionCookie(): Promise<string> {
    const { sessionSecret } = this.config.auth;
    if (sessionSecret !== undefined) return Promise.resolve(sessionSecret);
    return readOrCreateSecretFile(join(this.config.dataDir, 'session.secret'), (message) => this.log.warn(message));
  }
}

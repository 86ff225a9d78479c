import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/**
 * Secrets every instance must share (the session cookie signature, the captcha HMAC): made once,
 * at random, by whichever instance needs one first, and kept in the database.
 */
@Injectable()
export class ServerSecretsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async get(name: string): Promise<string> {
    await this.db.query(`INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [
      name,
      randomBytes(32).toString('base64url'),
    ]);
    const [row] = await this.db.query(`SELECT value FROM server_secrets WHERE name = $1`, [name]);
    return row.value as string;
  }
}

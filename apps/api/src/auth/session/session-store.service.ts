import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';

/** Read access to the `session` table: which of these sessions still exist (the live side), how many a user has (the admin API). */
@Injectable()
export class SessionStoreService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Which of these session keys (sessionKey of a cookie's id: the table's keys, HashedSessionStore) are live sessions. */
  async liveSessionKeys(keys: string[]): Promise<Set<string>> {
    if (!keys.length) return new Set();
    const rows: Array<{ sid: string }> = await this.db.query(`SELECT sid FROM session WHERE sid = ANY($1) AND expire > now()`, [keys]);
    return new Set(rows.map((r) => r.sid));
  }

  /** How many live sessions (signed-in browsers) the user has: neither idle-expired nor past the absolute limit. */
  async countOf(userId: string): Promise<number> {
    const [row]: Array<{ sessions: number }> = await this.db.query(
      `SELECT count(*)::int AS sessions FROM session
        WHERE sess ->> 'userId' = $1 AND expire > now() AND (sess ->> 'signedInAt')::bigint > $2`,
      [userId, Date.now() - this.config.auth.sessionMaxSeconds * 1000],
    );
    return row!.sessions;
  }
}

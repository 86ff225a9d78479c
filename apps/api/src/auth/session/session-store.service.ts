import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { sessionKey } from './hashed-session-store.js';

/** Read access to the `session` table for the live side: which of these sessions still exist. */
@Injectable()
export class SessionStoreService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** `ids` are the cookies' session ids; the table keys sessions by their hash (HashedSessionStore). */
  async liveSessionIds(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const idsByKey = new Map(ids.map((id) => [sessionKey(id), id]));
    const rows: Array<{ sid: string }> = await this.db.query(`SELECT sid FROM session WHERE sid = ANY($1) AND expire > now()`, [[...idsByKey.keys()]]);
    return new Set(rows.map((r) => idsByKey.get(r.sid)!));
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

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { sessionKey } from './hashed-session-store.js';

/** Read access to the `session` table for the live side: which of these sessions still exist. */
@Injectable()
export class SessionStoreService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** `ids` are the cookies' session ids; the table keys sessions by their hash (HashedSessionStore). */
  async liveSessionIds(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const idsByKey = new Map(ids.map((id) => [sessionKey(id), id]));
    const rows: Array<{ sid: string }> = await this.db.query(`SELECT sid FROM session WHERE sid = ANY($1) AND expire > now()`, [[...idsByKey.keys()]]);
    return new Set(rows.map((r) => idsByKey.get(r.sid)!));
  }
}

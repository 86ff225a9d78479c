import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/** Read access to the `session` table for the live side: which of these sessions still exist. */
@Injectable()
export class SessionStoreService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async liveSessionIds(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const rows: Array<{ sid: string }> = await this.db.query(`SELECT sid FROM session WHERE sid = ANY($1) AND expire > now()`, [ids]);
    return new Set(rows.map((r) => r.sid));
  }
}

import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { AuditRecord } from '@conclave/contracts';
import type { Repository } from 'typeorm';
import { type AuditDetails, AuditEvent } from './audit-event.entity.js';

export interface AuditEntry {
  event: string;
  actorId?: string | null;
  ip?: string | null;
  /** What the event acted on (a room, user, token or job id), for the audit log's target filter. */
  target?: string | null;
  /** The API token that acted, when one did (actorId is then its creator). */
  tokenId?: string | null;
  details?: AuditDetails;
}

/** What the admin API's audit endpoint asks for; every filter is optional and they all apply together. */
export interface AuditQuery {
  actorId?: string;
  /** An exact event name, or a prefix ending in '.' ('admin.' is every admin.* event). */
  action?: string;
  target?: string;
  /** Records at or after this time. */
  from?: Date;
  /** Records strictly before this time. */
  to?: Date;
  /** Records with a smaller id than this one (the keyset: newest first). */
  beforeId?: string;
  limit: number;
}

interface AuditRow {
  id: string;
  at: Date;
  event: string;
  actor_id: string | null;
  token_id: string | null;
  target: string | null;
  ip: string | null;
  details: AuditDetails;
}

/** Appends to the security audit log. Callers pass identifiers and facts, never secrets or content. */
@Injectable()
export class AuditService {
  constructor(@InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.events.insert({
      event: entry.event,
      actorId: entry.actorId ?? null,
      ip: entry.ip ?? null,
      target: entry.target ?? null,
      tokenId: entry.tokenId ?? null,
      details: entry.details ?? {},
    });
  }

  /** Up to `limit` records matching `query`, newest (highest id) first. */
  async query(query: AuditQuery): Promise<AuditRecord[]> {
    const prefix = query.action?.endsWith('.') ? query.action : null;
    const rows: AuditRow[] = await this.events.query(
      // The ORDER BY names the table's bigint id: the bare name would sort the text output column.
      `SELECT id::text AS id, at, event, actor_id, token_id, target, host(ip) AS ip, details FROM audit_log
        WHERE ($1::uuid IS NULL OR actor_id = $1)
          AND ($2::text IS NULL OR event = $2) AND ($3::text IS NULL OR starts_with(event, $3))
          AND ($4::text IS NULL OR target = $4)
          AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6)
          AND ($7::bigint IS NULL OR id < $7)
        ORDER BY audit_log.id DESC LIMIT $8`,
      [
        query.actorId ?? null,
        prefix === null ? (query.action ?? null) : null,
        prefix,
        query.target ?? null,
        query.from ?? null,
        query.to ?? null,
        query.beforeId ?? null,
        query.limit,
      ],
    );
    return rows.map((row) => ({
      id: row.id,
      at: row.at.toISOString(),
      action: row.event,
      actorId: row.actor_id,
      tokenId: row.token_id,
      target: row.target,
      ip: row.ip,
      details: row.details,
    }));
  }
}

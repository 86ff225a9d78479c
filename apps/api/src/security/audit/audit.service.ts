import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
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
}

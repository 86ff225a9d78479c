import { Injectable, Logger, type NestMiddleware } from '@nestjs/common';
import { isUUID } from 'class-validator';
import type { NextFunction, Request, Response } from 'express';
import { actorOf } from '../../auth/principal/principal.js';
import { bearerOf, parseApiToken } from '../../auth/tokens/presented-token.js';
import { logFailure } from '../../database/background-work.js';
import { AdminRoomsService } from '../../rooms/admin-rooms.service.js';
import { roomCodeOf } from '../../rooms/room-code.pipe.js';
import { AuditService } from '../../security/audit/audit.service.js';
import { RateLimits } from '../../security/throttling/rate-limits.service.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** What an admin route acted on (a room id, resolved from its code), for the admin.call audit row. */
    adminTarget?: string;
  }
}

/** The refusals of the global guards: an unknown credential (401), a caller who may not (403). */
const REFUSED = new Set([401, 403]);

/** Route parameters that name a target themselves, first match wins (a room's code is resolved to the room's id). */
const TARGET_PARAMS = ['userId', 'tokenId', 'jobId'];

/**
 * Audits every call to the admin API (README "Administration"), as middleware so that refusals by
 * the guards (403 of the admin policy, 429 of the rate limit) are seen too. Once the response is
 * over (finished, or the client went away: 'close' comes either way), one 'admin.call' row with the
 * caller (the admin, or the token's creator and the token), the target, and {method, route (Nest's
 * pattern), status}. A bearer token refused there is recorded as 'admin.token_refused' with the id
 * it claimed (never its secret). A call with no credential at all identifies nobody: the request
 * log has it.
 *
 * Refusals (401, 403) come from the global guards, before the admin rate limit counts anything, so
 * their rows are bounded per client address by the 'admin-refusals' limit: past it a refused call
 * is only logged, and one 'admin.refusals_suppressed' row a minute per address says that rows are
 * missing. A flood of made-up tokens, or a signed-in user retrying, cannot grow the audit log without end.
 */
@Injectable()
export class AdminCallRecorder implements NestMiddleware {
  private readonly log = new Logger('AdminAudit');

  constructor(
    private readonly audit: AuditService,
    private readonly rooms: AdminRoomsService,
    private readonly limits: RateLimits,
  ) {}

  use(req: Request, res: Response, next: NextFunction): void {
    res.once('close', () => void this.record(req, res).catch(logFailure(this.log, 'the audit of an admin call')));
    next();
  }

  private async record(req: Request, res: Response): Promise<void> {
    const route = typeof req.route?.path === 'string' ? req.route.path : null;
    const details = { method: req.method, route, status: res.statusCode };
    const ip = req.ip ?? null;
    if (req.principal) {
      const { actorId, tokenId } = actorOf(req.principal);
      if (REFUSED.has(res.statusCode) && !(await this.refusalAudited(ip, { event: 'admin.call', actorId, tokenId, ...details }))) return;
      await this.audit.record({ event: 'admin.call', actorId, tokenId, target: await this.targetOf(req), ip, details });
    } else if (req.headers.authorization !== undefined && res.statusCode === 401) {
      const tokenId = parseApiToken(bearerOf(req.headers.authorization) ?? '')?.id ?? null;
      if (!(await this.refusalAudited(ip, { event: 'admin.token_refused', tokenId, ...details }))) return;
      await this.audit.record({ event: 'admin.token_refused', tokenId, ip, details });
    }
  }

  /**
   * Whether a refused call gets its audit row: yes within the address's 'admin-refusals' budget;
   * past it the call is logged instead, and the first such call of a minute is audited as
   * 'admin.refusals_suppressed'.
   */
  private async refusalAudited(ip: string | null, call: Record<string, unknown>): Promise<boolean> {
    const address = ip ?? 'unknown';
    const { blocked, limit } = await this.limits.take('admin-refusals', address);
    if (!blocked) return true;
    // An object: the JSON log line carries the row's fields as its own.
    this.log.log({ ...call, ip, msg: `a refused admin call past ${limit} a minute from ${address}: logged, not audited` });
    if (await this.limits.firstInWindow('admin-refusals', address)) {
      this.log.warn(`more than ${limit} refused admin calls a minute from ${address}: the rest of this minute's are logged, not audited`);
      await this.audit.record({ event: 'admin.refusals_suppressed', ip, details: { auditedPerMinute: limit } });
    }
    return false;
  }

  /**
   * The room AdminRoomGuard resolved; else, for a call refused before it ran (403, 429), the room
   * its code names now; else the user, token or job the route names.
   */
  private async targetOf(req: Request): Promise<string | null> {
    if (req.adminTarget) return req.adminTarget;
    const params = (req.params ?? {}) as Record<string, unknown>;
    const code = roomCodeOf(params.code);
    if (code) return (await this.rooms.find(code))?.id ?? null;
    for (const name of TARGET_PARAMS) {
      const value = params[name];
      if (typeof value === 'string' && isUUID(value, 'loose')) return value.toLowerCase();
    }
    return null;
  }
}

import { Injectable, Logger, type NestMiddleware } from '@nestjs/common';
import { isUUID } from 'class-validator';
import type { NextFunction, Request, Response } from 'express';
import { actorOf } from '../../auth/principal/principal.js';
import { bearerOf, parseApiToken } from '../../auth/tokens/presented-token.js';
import { logFailure } from '../../database/background-work.js';
import { AdminRoomsService } from '../../rooms/admin-rooms.service.js';
import { roomCodeOf } from '../../rooms/room-code.pipe.js';
import { AuditService } from '../../security/audit/audit.service.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** What an admin route acted on (a room id, resolved from its code), for the admin.call audit row. */
    adminTarget?: string;
  }
}

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
 */
@Injectable()
export class AdminCallRecorder implements NestMiddleware {
  private readonly log = new Logger('AdminAudit');

  constructor(
    private readonly audit: AuditService,
    private readonly rooms: AdminRoomsService,
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
      await this.audit.record({ event: 'admin.call', actorId, tokenId, target: await this.targetOf(req), ip, details });
    } else if (req.headers.authorization !== undefined && res.statusCode === 401) {
      await this.audit.record({ event: 'admin.token_refused', tokenId: parseApiToken(bearerOf(req.headers.authorization) ?? '')?.id ?? null, ip, details });
    }
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

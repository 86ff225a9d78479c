import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  API_TOKEN_LAST_USED_GRANULARITY_MS,
  type ApiTokenScope,
  type ApiTokenSummary,
  type CreatedApiToken,
  type CreateApiTokenRequest,
} from '@conclave/contracts';
import type { DataSource, EntityManager } from 'typeorm';
import type { TokenPrincipal } from '../principal/principal.js';
import { bearerOf, parseApiToken } from './presented-token.js';

interface TokenRow {
  id: string;
  name: string;
  scopes: ApiTokenScope[];
  created_by: string;
  creator_username: string;
  created_at: Date;
  expires_at: Date;
  last_used_at: Date | null;
  last_used_ip: string | null;
  revoked_at: Date | null;
  /** Not revoked, not expired, creator an enabled admin. */
  active: boolean;
}

const SELECT_TOKENS = `
  SELECT t.id, t.name, t.scopes, t.created_by, u.username AS creator_username, t.created_at, t.expires_at,
         t.last_used_at, host(t.last_used_ip) AS last_used_ip, t.revoked_at,
         (t.revoked_at IS NULL AND t.expires_at > now() AND u.is_admin AND u.disabled_at IS NULL) AS active
    FROM api_tokens t JOIN users u ON u.id = t.created_by`;

const INVALID = 'This API token is not valid: it is malformed, unknown, revoked or expired, or its creator is no longer an admin';

/**
 * API tokens (README "Administration"): `cnk_<id>_<secret>`, shown once; only SHA-256 of the secret
 * is stored (the secret is 256 random bits, so a slow hash adds nothing), compared in constant time.
 * A token works while it is not revoked or expired and its creator is an enabled site admin.
 */
@Injectable()
export class ApiTokensService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async create(createdBy: string, request: CreateApiTokenRequest): Promise<CreatedApiToken> {
    const id = randomUUID();
    const secret = randomBytes(32).toString('base64url');
    await this.db.query(`INSERT INTO api_tokens (id, name, secret_sha256, scopes, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`, [
      id,
      request.name,
      sha256(secret),
      [...new Set(request.scopes)],
      createdBy,
      new Date(request.expiresAt),
    ]);
    return { ...(await this.get(id)), token: `cnk_${id.replaceAll('-', '')}_${secret}` };
  }

  /** Every token, newest first. */
  async list(): Promise<ApiTokenSummary[]> {
    const rows: TokenRow[] = await this.db.query(`${SELECT_TOKENS} ORDER BY t.created_at DESC, t.id DESC`);
    return rows.map(toSummary);
  }

  async get(tokenId: string): Promise<ApiTokenSummary> {
    const [row]: TokenRow[] = await this.db.query(`${SELECT_TOKENS} WHERE t.id = $1`, [tokenId]);
    if (!row) throw new NotFoundException('No API token has this id');
    return toSummary(row);
  }

  /** Revokes the token; `changed` is false when it was revoked already (its revokedAt stays). 404 for an unknown id. */
  async revoke(tokenId: string): Promise<{ token: ApiTokenSummary; changed: boolean }> {
    const [rows]: [unknown[], number] = await this.db.query(`UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id`, [tokenId]);
    return { token: await this.get(tokenId), changed: rows.length > 0 };
  }

  /** Revokes every live token `userId` made (their creator was disabled or lost admin); how many. */
  async revokeAllOf(userId: string, tx: Pick<EntityManager, 'query'> = this.db.manager): Promise<number> {
    const [rows]: [unknown[], number] = await tx.query(`UPDATE api_tokens SET revoked_at = now() WHERE created_by = $1 AND revoked_at IS NULL RETURNING id`, [userId]);
    return rows.length;
  }

  /** The principal of an `Authorization: Bearer cnk_…` header; 401 with one message for every way it can be wrong. */
  async authenticate(authorization: string, ip: string | undefined): Promise<TokenPrincipal> {
    const presented = bearerOf(authorization);
    const token = presented === undefined ? undefined : parseApiToken(presented);
    if (!token) throw new UnauthorizedException(presented === undefined ? 'The Authorization header must be "Bearer cnk_…"' : INVALID);
    const { id } = token;
    const [row]: Array<{ secret_sha256: Buffer; scopes: ApiTokenScope[]; created_by: string; active: boolean }> = await this.db.query(
      `SELECT t.secret_sha256, t.scopes, t.created_by,
              (t.revoked_at IS NULL AND t.expires_at > now() AND u.is_admin AND u.disabled_at IS NULL) AS active
         FROM api_tokens t JOIN users u ON u.id = t.created_by WHERE t.id = $1`,
      [id],
    );
    const secret = sha256(token.secret);
    // Compared even for an unknown id, so the answer takes as long either way.
    const matches = timingSafeEqual(secret, row?.secret_sha256 ?? Buffer.alloc(secret.length));
    if (!row || !matches || !row.active) throw new UnauthorizedException(INVALID);
    await this.noteUse(id, ip);
    return { kind: 'token', tokenId: id, scopes: row.scopes, createdBy: row.created_by };
  }

  /** last_used_at / last_used_ip, written at most once per API_TOKEN_LAST_USED_GRANULARITY_MS per token. */
  private async noteUse(id: string, ip: string | undefined): Promise<void> {
    await this.db.query(
      `UPDATE api_tokens SET last_used_at = now(), last_used_ip = $2::inet
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $3))`,
      [id, ip && isInet(ip) ? ip : null, API_TOKEN_LAST_USED_GRANULARITY_MS / 1000],
    );
  }
}

function sha256(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** req.ip is an address, but a proxy's header could make it anything: never let it fail the cast. */
function isInet(ip: string): boolean {
  return /^[0-9a-fA-F:.]+$/.test(ip) && ip.length <= 45;
}

function toSummary(row: TokenRow): ApiTokenSummary {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    createdBy: { id: row.created_by, username: row.creator_username },
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    lastUsedIp: row.last_used_ip,
    revokedAt: row.revoked_at?.toISOString() ?? null,
    active: row.active,
  };
}

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { ApiTokenScope } from '@conclave/contracts';
import { sql } from './db.js';
import type { Endpoint } from './server.js';

/** Makes an account a site admin directly in the database (what ADMIN_USERNAMES or `npm run admin -- grant` do). */
export async function makeAdmin(server: Endpoint, userId: string, admin = true): Promise<void> {
  await sql(server, `UPDATE users SET is_admin = $2 WHERE id = $1`, [userId, admin]);
}

export interface MintedToken {
  id: string;
  /** `cnk_<id>_<secret>`, for an Authorization: Bearer header. */
  token: string;
}

/**
 * Inserts an API token as ApiTokensService.create stores it (SHA-256 of the secret only), for suites
 * that need a token without going through the admin API. `creatorId` must be an admin for it to work.
 */
export async function mintApiToken(
  server: Endpoint,
  creatorId: string,
  scopes: ApiTokenScope[],
  { expiresAt = new Date(Date.now() + 86_400_000), revoked = false, name = 'test token' }: { expiresAt?: Date; revoked?: boolean; name?: string } = {},
): Promise<MintedToken> {
  const id = randomUUID();
  const secret = randomBytes(32).toString('base64url');
  await sql(
    server,
    `INSERT INTO api_tokens (id, name, secret_sha256, scopes, created_by, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN now() END)`,
    [id, name, createHash('sha256').update(secret).digest(), scopes, creatorId, expiresAt, revoked],
  );
  return { id, token: `cnk_${id.replaceAll('-', '')}_${secret}` };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

import { parseArgs } from 'node:util';
import { USERNAME_PATTERN } from '@conclave/contracts';
import pg from 'pg';
import { BackupError } from '../backup/backup-file.js';
import { locateDatabase } from '../backup/locate-database.js';
import { ConfigError } from '../config/config-error.js';

const USAGE = 'usage: npm run admin -- grant NAME | revoke NAME | list';

/** A refusal the operator can act on: one line, exit code 1. */
class AdminCommandError extends Error {}

type Say = (line: string) => void;

/**
 * `npm run admin -- grant NAME | revoke NAME | list` (README "Site admins"): on the database the server
 * would use with the same environment (DATABASE_URL, or the embedded one in DATA_DIR, also while the
 * server runs: a session reads the admin flag at every request, so a change applies at once).
 * Grants and revocations are audited ('admin.granted' / 'admin.revoked', by 'cli').
 */
export async function adminCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const say: Say = (line) => console.log(`conclave admin: ${line}`);
  try {
    const { verb, username } = parseCommand(argv);
    const database = await locateDatabase(env, 'admin', say);
    const client = new pg.Client({ connectionString: database.url });
    try {
      await client.connect();
      if (verb === 'list') say(await listAdmins(client));
      else say(await setAdmin(client, username!, verb === 'grant'));
    } catch (err) {
      // A database's own error (refused connection, wrong password, a schema the server has not migrated yet) says which database.
      throw isDatabaseError(err) ? new AdminCommandError(`${database.description}: ${(err as Error).message}`) : err;
    } finally {
      await client.end().catch(() => undefined);
      await database.close();
    }
    return 0;
  } catch (err) {
    // Operator-fixable failures (bad usage, an unknown user, a database error) are one line; a bug keeps its stack.
    const expected = err instanceof AdminCommandError || err instanceof BackupError || err instanceof ConfigError || isDatabaseError(err);
    console.error(`conclave admin: ${expected ? (err as Error).message : ((err as Error).stack ?? String(err))}`);
    return 1;
  }
}

function parseCommand(argv: string[]): { verb: 'grant' | 'revoke' | 'list'; username?: string } {
  let positionals: string[];
  try {
    ({ positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} }));
  } catch (err) {
    throw new AdminCommandError(`${(err as Error).message}\n${USAGE}`);
  }
  const [verb, name, ...rest] = positionals;
  if (verb === 'list' && name === undefined) return { verb };
  if ((verb === 'grant' || verb === 'revoke') && name !== undefined && !rest.length) {
    const username = name.trim().toLowerCase();
    if (!USERNAME_PATTERN.test(username)) throw new AdminCommandError(`"${name}" is not a username (3 to 32 of a-z 0-9 _ . -)`);
    return { verb, username };
  }
  throw new AdminCommandError(USAGE);
}

/** Grants or revokes in one transaction with its audit record; an unknown user is an error, an unchanged one is said so. */
async function setAdmin(client: pg.Client, username: string, admin: boolean): Promise<string> {
  await client.query('BEGIN');
  try {
    const { rows } = await client.query<{ id: string; is_admin: boolean; disabled: boolean }>(
      `SELECT id, is_admin, disabled_at IS NOT NULL AS disabled FROM users WHERE username = $1 FOR UPDATE`,
      [username],
    );
    const user = rows[0];
    if (!user) throw new AdminCommandError(`there is no account named "${username}"`);
    if (user.is_admin === admin) {
      await client.query('ROLLBACK');
      return admin ? `${username} is already a site admin` : `${username} is not a site admin`;
    }
    // As UsersService.setAdmin: a revocation is remembered (ADMIN_USERNAMES does not grant it back) and revokes the account's tokens.
    await client.query(`UPDATE users SET is_admin = $2, admin_revoked_at = CASE WHEN $2 THEN NULL ELSE now() END WHERE id = $1`, [user.id, admin]);
    if (!admin) await client.query(`UPDATE api_tokens SET revoked_at = now() WHERE created_by = $1 AND revoked_at IS NULL`, [user.id]);
    await client.query(`INSERT INTO audit_log (event, target, details) VALUES ($1, $2, $3)`, [
      admin ? 'admin.granted' : 'admin.revoked',
      user.id,
      JSON.stringify({ by: 'cli', username }),
    ]);
    await client.query('COMMIT');
    if (!admin) return `${username} is no longer a site admin (the API tokens they created are revoked)`;
    return user.disabled ? `${username} is now a site admin (the account is disabled: enable it to use the admin API)` : `${username} is now a site admin`;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function listAdmins(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ username: string; disabled: boolean }>(
    `SELECT username, disabled_at IS NOT NULL AS disabled FROM users WHERE is_admin ORDER BY username`,
  );
  if (!rows.length) return 'no site admins (make one with: npm run admin -- grant NAME, or ADMIN_USERNAMES)';
  const names = rows.map((row) => (row.disabled ? `${row.username} (disabled)` : row.username));
  return `${rows.length} site admin${rows.length === 1 ? '' : 's'}: ${names.join(', ')}`;
}

/** Errors from pg (and the network under it) carry a string code; ours and bugs do not. */
function isDatabaseError(err: unknown): boolean {
  return !(err instanceof AdminCommandError) && typeof (err as { code?: unknown } | null)?.code === 'string';
}

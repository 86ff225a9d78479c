import { createHash } from 'node:crypto';
import connectPgSimple from 'connect-pg-simple';
import session, { type SessionData } from 'express-session';

/**
 * The `session` table's key for a session id: its SHA-256, hex (what PostgreSQL's
 * `encode(sha256(convert_to(sid, 'UTF8')), 'hex')` gives). The table never holds the id a cookie
 * carries, so a copy of the database cannot be replayed as a cookie. A plain hash is enough (no
 * salt, no stretching): an id is 192 random bits, there is nothing to guess from its hash.
 */
export function sessionKey(sessionId: string): string {
  return createHash('sha256').update(sessionId, 'utf8').digest('hex');
}

const PgStore = connectPgSimple(session);

/**
 * connect-pg-simple's store on hashed ids: express-session hands every operation the cookie's id,
 * the table sees only sessionKey(id). (PgStore.get's own destroy() of a row it cannot parse would
 * hash twice; `sess` is a json column, which pg always hands over parsed, so that path never runs.)
 */
export class HashedSessionStore extends PgStore {
  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    super.get(sessionKey(sid), callback);
  }

  override set(sid: string, sess: SessionData, callback?: (err?: unknown) => void): void {
    super.set(sessionKey(sid), sess, callback);
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    super.destroy(sessionKey(sid), callback);
  }

  override touch(sid: string, sess: SessionData, callback?: () => void): void {
    super.touch(sessionKey(sid), sess, callback);
  }
}

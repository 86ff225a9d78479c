import type { RequestHandler } from 'express';
import session from 'express-session';
import type { Pool } from 'pg';
import { SESSION_COOKIE } from '@conclave/contracts';
import type { AppConfig } from '../../config/app-config.js';
import { HashedSessionStore } from './hashed-session-store.js';

/** What a signed-in session holds (server-side, in PostgreSQL; the cookie only names it). */
declare module 'express-session' {
  interface SessionData {
    userId: string;
    /** ms since 1970: the absolute expiry counts from here. */
    signedInAt: number;
  }
}

export const SESSION_HANDLER = Symbol('SESSION_HANDLER');

export interface SessionHandler {
  readonly middleware: RequestHandler;
  /** Deletes the rows of expired sessions (SessionPruner runs it on one instance at a time). */
  pruneExpired(): Promise<void>;
  close(): Promise<void>;
}

/**
 * express-session on the `session` table. The cookie is __Host- prefixed, HttpOnly, Secure,
 * SameSite=Strict; it rolls with each request up to the idle timeout (the absolute limit is checked
 * by SessionLifetime). The Socket.IO handshake reuses this handler. The store uses the app's one pg
 * Pool (DATABASE_POOL: its timeouts and error handling), which TypeORM opens and closes.
 */
export function createSessionHandler(config: AppConfig, pool: Pool, secret: string): SessionHandler {
  // The store's own prune timer would run on every instance at once: SessionPruner runs its prune instead.
  const store = new HashedSessionStore({ pool, tableName: 'session', createTableIfMissing: false, pruneSessionInterval: false });
  const middleware = session({
    name: SESSION_COOKIE,
    secret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    proxy: config.trustProxy,
    cookie: { httpOnly: true, secure: true, sameSite: 'strict', path: '/', maxAge: config.auth.sessionIdleSeconds * 1000 },
  });
  return {
    middleware,
    pruneExpired: () => new Promise<void>((resolve, reject) => store.pruneSessions((err) => (err ? reject(err) : resolve()))),
    close: async () => store.close(),
  };
}

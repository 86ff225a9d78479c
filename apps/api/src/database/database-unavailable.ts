/**
 * Recognises the errors that mean "PostgreSQL cannot be reached, did not answer in time, or broke a
 * deadlock: try again", as opposed to a query that PostgreSQL refused. Those are not bugs: REST answers them with a
 * deliberate 503 (DatabaseUnavailableFilter), sockets with the 'unavailable' code.
 */

/** How long a client is told to wait before trying again (Retry-After, retryAfterMs). */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** SQLSTATEs of a lost or refused connection, a server shutting down or starting, a statement timeout, or a deadlock broken. */
const UNAVAILABLE_SQLSTATES = new Set([
  '53300', // too_many_connections
  '57P01', // admin_shutdown: pg_terminate_backend, a fast or smart shutdown
  '57P02', // crash_shutdown: another backend crashed
  '57P03', // cannot_connect_now: starting up, shutting down, in recovery
  '57014', // query_canceled: Conclave cancels nothing itself, so this is statement_timeout
  // A transaction PostgreSQL aborted to break a lock cycle (e.g. the last member leaving a room, whose
  // deletion reaches its files' rows, while a send attaches one of them): nothing was written, and the
  // same request succeeds when tried again.
  '40P01', // deadlock_detected
]);

/** Socket-level failures of the connection to PostgreSQL. */
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** What pg and pg-pool say, without a code, when a connection is lost or times out. */
const UNAVAILABLE_MESSAGES = new Set([
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end on the pool',
]);

/**
 * Redis (REDIS_URL) not answering within the command timeout, disconnected, or answering that it
 * cannot serve now (loading its data, a failover under way): like PostgreSQL down, a 503 to try again.
 */
export class RedisUnavailable extends Error {
  constructor(cause: unknown) {
    super(`Redis is unavailable (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.name = 'RedisUnavailable';
  }
}

export function isDatabaseUnavailable(error: unknown): boolean {
  return causes(error).some((e) => {
    if (e instanceof RedisUnavailable) return true;
    const code = typeof e.code === 'string' ? e.code : '';
    // Class 08: connection exception (including the server refusing the connection).
    return code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code) || UNAVAILABLE_MESSAGES.has(String(e.message));
  });
}

/**
 * `instanceof DatabaseUnavailable` is isDatabaseUnavailable: so @Catch(DatabaseUnavailable) selects
 * exactly these errors and leaves every other one to the filters after it.
 */
export abstract class DatabaseUnavailable {
  static [Symbol.hasInstance](error: unknown): boolean {
    return isDatabaseUnavailable(error);
  }
}

export interface ErrorLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  driverError?: unknown;
  errors?: unknown;
}

/** The error and what it wraps: TypeORM's driverError, `cause`, an AggregateError's errors (both address families refused). */
export function causes(error: unknown): ErrorLike[] {
  const seen = new Set<unknown>();
  const pending = [error];
  while (pending.length) {
    const e = pending.pop();
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    const { cause, driverError, errors } = e as ErrorLike;
    pending.push(cause, driverError, ...(Array.isArray(errors) ? errors : []));
  }
  return [...seen] as ErrorLike[];
}

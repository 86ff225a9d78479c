import { createAdapter } from '@socket.io/postgres-adapter';
import pg from 'pg';
import type { Logger } from 'pino';
import type { AdapterFactory } from './cluster-connection.js';
import { FAN_OUT_TIMING } from './cluster-connection.js';
import { throttledWarning } from './throttled-warning.js';

/** The adapter's table for payloads over NOTIFY's 8000 bytes (made by the migration SocketIoAttachments). */
export const ATTACHMENTS_TABLE = 'socket_io_attachments';

/** One LISTEN connection and a few for NOTIFY: the events of every instance go through these. */
const FAN_OUT_POOL_SIZE = 4;

/**
 * Socket.IO events between instances over the shared PostgreSQL (@socket.io/postgres-adapter:
 * LISTEN/NOTIFY). It has a pool of its own (application_name conclave-fanout), apart from the
 * request pool, so that its long-lived LISTEN connection never takes a request's place.
 *
 * The adapter checks a client out of the pool for LISTEN and reconnects when that connection ends,
 * but attaches no 'error' listener to it (a checked-out pg client without one ends the process on
 * pg_terminate_backend or a restart) and never gives it back (each reconnection would leak a pool
 * slot until NOTIFY had none left). Both are handled here, for every client the pool makes.
 */
export function openPostgresFanOut(url: string, timeouts: { statementMs: number; connectMs: number }, log: Logger): { adapter: AdapterFactory; close(): Promise<void> } {
  const warn = throttledWarning(log, 'fan-out (PostgreSQL LISTEN/NOTIFY)');
  const pool = new pg.Pool({
    connectionString: url,
    max: FAN_OUT_POOL_SIZE,
    application_name: 'conclave-fanout',
    connectionTimeoutMillis: timeouts.connectMs,
    statement_timeout: timeouts.statementMs,
    query_timeout: timeouts.statementMs + 1000,
  });
  pool.on('error', warn);
  pool.on('connect', (client) => {
    client.on('error', warn);
    client.on('end', () => giveBack(client));
  });
  let closed = false;
  const adapter = createAdapter(pool, {
    tableName: ATTACHMENTS_TABLE,
    errorHandler: warn,
    heartbeatInterval: FAN_OUT_TIMING.heartbeatIntervalMs,
    heartbeatTimeout: FAN_OUT_TIMING.heartbeatTimeoutMs,
  }) as AdapterFactory;
  return {
    adapter,
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/** A checked-out client whose connection ended goes back to the pool as broken (the pool drops it); for an idle one this is a no-op. */
function giveBack(client: pg.PoolClient | pg.Client): void {
  try {
    (client as Partial<pg.PoolClient>).release?.(new Error('connection ended'));
  } catch {
    // Released already (an idle client, or the adapter's own release at close).
  }
}

import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import type { Logger } from 'pino';
import { redactUrl } from '../config/load-config.js';
import { ConfigError } from '../config/config-error.js';
import type { AdapterFactory } from './cluster-connection.js';
import { throttledWarning } from './throttled-warning.js';

export type RedisClient = ReturnType<typeof createClient>;

/** Socket.IO's stream (and the prefix of its channels) in Redis: Conclave's own, beside whatever else the server holds. */
const STREAM = 'conclave:socket.io';
/** Entries the stream keeps (XADD MAXLEN ~): far more than the events of the seconds an instance may lag. */
const STREAM_MAX_LEN = 10_000;
/** Reconnection: every 200 ms more after each failure, at most every 5 s, for ever (Redis restarts; Conclave stays up). */
const reconnectDelay = (retries: number) => Math.min(200 * (retries + 1), 5_000);

/**
 * REDIS_URL's client, connected before Nest starts: a URL that does not answer within
 * DATABASE_CONNECT_TIMEOUT_MS stops the start with a message naming REDIS_URL. Afterwards it
 * reconnects by itself; its errors are logged (a client without an 'error' listener would end the
 * process), and commands sent meanwhile wait in its queue, bounded by each caller's timeout.
 */
export async function openRedis(url: string, connectMs: number, log: Logger): Promise<RedisClient> {
  const client = createClient({ url, socket: { connectTimeout: connectMs, reconnectStrategy: reconnectDelay } });
  client.on('error', throttledWarning(log, 'Redis'));
  const attempt = client.connect();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no connection within ${connectMs} ms`)), connectMs);
  });
  try {
    await Promise.race([attempt, timeout]);
  } catch (err) {
    client.destroy();
    throw new ConfigError('REDIS_URL', `cannot connect to ${redactUrl(url)}: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  log.info({ redis: redactUrl(url) }, 'Redis ready');
  return client;
}

/** Quits gracefully (pending commands answered first); a connection that is down already is just dropped. */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  await client.close().catch(() => client.destroy());
}

/** Socket.IO events between instances through a Redis stream (@socket.io/redis-streams-adapter). */
export function redisFanOut(client: RedisClient): AdapterFactory {
  return createAdapter(client, { streamName: STREAM, channelPrefix: STREAM, maxLen: STREAM_MAX_LEN }) as AdapterFactory;
}

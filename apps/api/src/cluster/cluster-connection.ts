import type { Logger } from 'pino';
import type { AppConfig, ClusterConfig } from '../config/app-config.js';
import { openPostgresFanOut } from './postgres-fan-out.js';
import { closeRedis, openRedis, type RedisClient, redisFanOut } from './redis-fan-out.js';

/** Socket.IO's `server.adapter(…)` argument: builds the adapter of a namespace. */
export type AdapterFactory = (namespace: unknown) => unknown;

/** The connection to whatever carries state between instances (README "Deployment"); token CLUSTER. */
export interface ClusterConnection {
  readonly fanOut: ClusterConfig['fanOut'];
  /** The Socket.IO adapter that reaches the other instances; undefined = Socket.IO's in-memory one (a single instance). */
  readonly adapter: AdapterFactory | undefined;
  /** REDIS_URL's client (connected), for the rate-limit counters; undefined without REDIS_URL. */
  readonly redis: RedisClient | undefined;
  close(): Promise<void>;
}

export const CLUSTER = Symbol('CLUSTER');

/**
 * How long a question to every instance (fetchSockets: rosters, presence, the socket quota) waits
 * for their answers (realtime/presence.ts socketsIn), and, on PostgreSQL, how often each instance
 * says it is alive and after how long of silence it is counted out. An instance that died makes
 * such questions wait at most requestsTimeoutMs, and only until the others stop counting it (on
 * Redis at once: its subscription count drops when the connection does).
 */
export const FAN_OUT_TIMING = { requestsTimeoutMs: 2_000, heartbeatIntervalMs: 2_000, heartbeatTimeoutMs: 6_000 } as const;

/**
 * Opened by main.ts before Nest, as the database is: Redis when REDIS_URL is set (its client is
 * connected here, so a wrong URL stops the start with a clear message); LISTEN/NOTIFY on the
 * shared PostgreSQL when DATABASE_URL is; nothing on the embedded database (one instance).
 */
export async function openCluster(config: AppConfig, databaseUrl: string, log: Logger): Promise<ClusterConnection> {
  const { fanOut, redisUrl } = config.cluster;
  if (fanOut === 'redis') {
    const redis = await openRedis(redisUrl!, config.databaseTimeouts.connectMs, log);
    return { fanOut, redis, adapter: redisFanOut(redis), close: () => closeRedis(redis) };
  }
  if (fanOut === 'postgres') {
    const postgres = openPostgresFanOut(databaseUrl, config.databaseTimeouts, log);
    return { fanOut, redis: undefined, adapter: postgres.adapter, close: () => postgres.close() };
  }
  return { fanOut, redis: undefined, adapter: undefined, close: async () => undefined };
}

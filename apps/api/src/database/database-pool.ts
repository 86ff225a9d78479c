/**
 * TypeORM's pg Pool, for requests and background work (the fan-out has a small pool of its own,
 * cluster/postgres-fan-out.ts). The few clients that are not TypeORM (the session
 * store, the message writer, the cluster locks) use it too, so every connection has the same
 * timeouts and error handling. (Provided by DatabaseModule.)
 */
export const DATABASE_POOL = Symbol('DATABASE_POOL');

/** Idle time before TCP keepalive probes start on a connection of ours (the kernel's settings then decide when it is dead). */
export const KEEPALIVE_DELAY_MS = 30_000;

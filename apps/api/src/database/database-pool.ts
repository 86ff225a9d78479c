/**
 * TypeORM's pg Pool: the process's only pool. The few clients that are not TypeORM (the session
 * store, the message writer, the cluster locks) use it too, so every connection has the same
 * timeouts and error handling. (Provided by DatabaseModule.)
 */
export const DATABASE_POOL = Symbol('DATABASE_POOL');

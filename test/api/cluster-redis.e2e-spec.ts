import { clusterScenarios } from '../support/cluster-scenarios.js';

/**
 * The same scenarios as cluster-postgres.e2e-spec.ts with REDIS_URL set (Debian's redis-server):
 * fan-out through Redis streams, rate-limit counters in Redis, the rest in PostgreSQL.
 */
describe('two instances behind HAProxy, with Redis', () => {
  clusterScenarios({ redis: true });
});

import { clusterScenarios } from '../support/cluster-scenarios.js';

/**
 * Two Conclave instances behind Debian's HAProxy (docs/deployment/haproxy.cfg), sharing REDIS_URL: fan-out and rate-limit counters in Debian's redis-server.
 * The scenarios are the proof that several instances behave as one (test/support/cluster-scenarios.ts).
 */
describe('two instances behind HAProxy, with Redis', () => {
  clusterScenarios({ redis: true });
});

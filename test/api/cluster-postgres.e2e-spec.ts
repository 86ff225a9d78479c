import { clusterScenarios } from '../support/cluster-scenarios.js';

/**
 * Two Conclave instances behind Debian's HAProxy (docs/deployment/haproxy.cfg) on one PostgreSQL and
 * nothing else: fan-out over LISTEN/NOTIFY, rate-limit counters in the database. The scenarios are the
 * issue's proof that several instances behave as one (test/support/cluster-scenarios.ts).
 */
describe('two instances behind HAProxy, on PostgreSQL alone', () => {
  clusterScenarios({ redis: false });
});

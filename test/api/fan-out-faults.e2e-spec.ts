import { FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { sqlAt } from '../support/db.js';
import { ExternalPostgres } from '../support/postgres.js';
import { ServerProcess } from '../support/server.js';
import { connect, connected, sessionCookie } from '../support/sockets.js';

/**
 * The PostgreSQL fan-out (DATABASE_URL: @socket.io/postgres-adapter, README "Deployment") survives
 * its connections being cut, as a database restart, failover or an operator's
 * pg_terminate_backend would: neither instance exits (the adapter's LISTEN client has no 'error'
 * listener of its own), each listens again within seconds, and after more cuts than its pool has
 * connections (a LISTEN client the adapter never gave back would leak a slot each time) events
 * still cross instances.
 */

const SECRET = 'the same session secret on every instance, 40+ chars';
const FAN_OUT_POOL_SIZE = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let postgres: ExternalPostgres;
let url: string;
let a: ServerProcess;
let b: ServerProcess;

beforeAll(async () => {
  postgres = await ExternalPostgres.start();
  url = await postgres.createDatabase('conclave_fan_out');
  // One socket per account: the second, on the other instance, is refused only if that instance
  // counts the first through the fan-out (fetchSockets over every instance).
  const env = { ...FAST_AUTH_ENV, DATABASE_URL: url, SESSION_SECRET: SECRET, SOCKETS_PER_USER_MAX: '1' };
  a = await ServerProcess.start({ env });
  b = await ServerProcess.start({ env });
}, 120_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await postgres?.stop();
});

const query = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => sqlAt<T>(url, text, values);

/** The fan-out connections that are listening (one per instance once each has LISTENed). */
const listening = async () =>
  (await query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'conclave-fanout' AND query LIKE 'LISTEN%'`))[0]!.n;

async function untilListening(instances: number, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Number(await listening()) < instances) {
    if (Date.now() > deadline) {
      const seen = await query(`SELECT pid, state, query FROM pg_stat_activity WHERE application_name = 'conclave-fanout'`);
      throw new Error(`fewer than ${instances} fan-out connections listening after ${timeoutMs} ms: ${JSON.stringify(seen)}`);
    }
    await sleep(200);
  }
}

describe('the PostgreSQL fan-out when its connections are cut', () => {
  it('keeps both instances up, listens again each time, and still counts sockets across instances', async () => {
    await untilListening(2);
    for (let cut = 1; cut <= FAN_OUT_POOL_SIZE + 2; cut++) {
      await query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'conclave-fanout'`);
      await untilListening(2);
    }
    await Promise.all([a.ready(5_000), b.ready(5_000)]);

    const user = await newAccount('cut-twice');
    await registeredClient(a, user);
    const cookie = await sessionCookie(a, user);
    const first = connect(a, cookie);
    await connected(first);
    const second = connect(b, cookie);
    try {
      await expect(connected(second)).rejects.toThrow(/too many connections/);
    } finally {
      first.close();
      second.close();
    }
  }, 240_000);
});

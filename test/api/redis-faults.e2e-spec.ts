import { type ChildProcess, spawn } from 'node:child_process';
import request from 'supertest';
import { FAST_AUTH_ENV } from '../support/accounts.js';
import { freePort } from '../support/ports.js';
import { ExternalPostgres } from '../support/postgres.js';
import { newDataDir, ServerProcess } from '../support/server.js';

/**
 * REDIS_URL's Redis going away and coming back (a restart, a failover), as the deployment guide
 * says (docs/deployment.md, "When Redis or PostgreSQL is unavailable"): the instance stays up, a
 * request that counts a rate limit answers a deliberate 503 with Retry-After within the statement
 * timeout (never a 500, never a hang), liveness still answers, and once Redis is back the same
 * request is counted again without a restart of Conclave.
 */

const STATEMENT_TIMEOUT_MS = 1500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let postgres: ExternalPostgres;
let redisPort: number;
let redis: ChildProcess | undefined;
let server: ServerProcess;

function startRedis(): Promise<ChildProcess> {
  const child = spawn('/usr/bin/redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', newDataDir()], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (/Ready to accept connections/.test(out)) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}):\n${out}`)));
  });
}

async function stopRedis(): Promise<void> {
  if (!redis || redis.exitCode !== null) return;
  const exited = new Promise((r) => redis!.once('exit', r));
  redis.kill('SIGKILL');
  await exited;
}

beforeAll(async () => {
  postgres = await ExternalPostgres.start();
  redisPort = await freePort();
  redis = await startRedis();
  server = await ServerProcess.start({
    env: {
      ...FAST_AUTH_ENV,
      DATABASE_URL: await postgres.createDatabase('conclave_redis_faults'),
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      REGISTER_LIMIT_PER_HOUR: '1000',
    },
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await stopRedis();
  await postgres?.stop();
});

// The sign-up route counts the 'register' limit in its guard, before its body is validated: an empty body is a 400 once counted.
const signUp = () => request(server.origin).post('/api/auth/register').ca(server.certificate).set('Origin', server.origin).timeout(20_000).send({});

describe('when Redis goes away and comes back', () => {
  it('answers 503 with Retry-After for what it cannot count, stays up, and counts again once Redis is back', async () => {
    await signUp().expect(400);

    await stopRedis();
    const refused = await signUp();
    expect(refused.status).toBe(503);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body.message).toMatch(/try again/i);
    await request(server.origin).get('/ping').ca(server.certificate).expect(200);

    redis = await startRedis();
    let status = 0;
    for (let i = 0; i < 50 && status !== 400; i++) {
      status = (await signUp()).status;
      if (status !== 400) await sleep(300);
    }
    expect(status).toBe(400);
    await server.ready(5_000);
  }, 90_000);
});

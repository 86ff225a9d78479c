import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { ThrottlerStorage } from '@nestjs/throttler';
import pg from 'pg';
import { createClient } from 'redis';
import { DataSource } from 'typeorm';
import { ExternalPostgres } from '../../../../../test/support/postgres.js';
import { freePort } from '../../../../../test/support/ports.js';
import { dataSourceOptions } from '../../database/data-source-options.js';
import { isDatabaseUnavailable } from '../../database/database-unavailable.js';
import { PostgresThrottlerStorage } from './postgres-throttler.storage.js';
import { rateLimitStorage } from './rate-limit-storage.js';
import { REDIS_KEY_PREFIX, RedisThrottlerStorage } from './redis-throttler.storage.js';

/**
 * The rate-limit storages on a real PostgreSQL (the migrated schema) and a real redis-server: the
 * same table of cases runs against each, since both must count alike (counter-state.ts). Windows
 * are short so that waits stay short; nothing asserts how fast anything is.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let postgres: ExternalPostgres;
let pool: pg.Pool;
let redisServer: ChildProcess;
let redis: ReturnType<typeof createClient>;

/** redis-server on a free port, without persistence, ready when it says so. */
async function startRedis(): Promise<{ server: ChildProcess; port: number }> {
  const port = await freePort();
  const server = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let said = '';
    server.once('error', reject);
    server.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${said}`)));
    server.stdout!.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes('Ready to accept connections')) resolve();
    });
  });
  return { server, port };
}

beforeAll(async () => {
  postgres = await ExternalPostgres.start();
  const url = await postgres.createDatabase('limits');
  // The schema as a server's start leaves it (every migration).
  await (await new DataSource(dataSourceOptions(url)).initialize()).destroy();
  pool = new pg.Pool({ connectionString: url, max: 20 });
  pool.on('error', () => undefined);
  const started = await startRedis();
  redisServer = started.server;
  redis = createClient({ url: `redis://127.0.0.1:${started.port}` });
  redis.on('error', () => undefined);
  await redis.connect();
}, 120_000);

afterAll(async () => {
  await redis?.close();
  redisServer?.kill();
  await pool?.end();
  await postgres?.stop();
});

const storages: Array<[string, () => ThrottlerStorage]> = [
  ['PostgreSQL', () => rateLimitStorage(pool)],
  ['Redis', () => rateLimitStorage(pool, redis)],
];

describe.each(storages)('rate-limit storage on %s', (_name, storageOf) => {
  let storage: ThrottlerStorage;
  /** A key no other case uses. */
  let key: string;

  beforeEach(() => {
    storage = storageOf();
    key = randomUUID();
  });

  it('counts the hits of a window, with the whole seconds left until it ends', async () => {
    for (let hit = 1; hit <= 3; hit++) {
      const record = await storage.increment(key, 60_000, 3, 0, 'test');
      expect(record).toEqual({ totalHits: hit, timeToExpire: expect.any(Number), isBlocked: false, timeToBlockExpire: 0 });
      expect(record.timeToExpire).toBeGreaterThanOrEqual(59);
      expect(record.timeToExpire).toBeLessThanOrEqual(60);
    }
  });

  it('blocks on the hit over the limit for blockDuration, without counting blocked hits, then starts a new window', async () => {
    await storage.increment(key, 60_000, 2, 800, 'test');
    await storage.increment(key, 60_000, 2, 800, 'test');
    const over = await storage.increment(key, 60_000, 2, 800, 'test');
    expect(over).toEqual({ totalHits: 3, timeToExpire: 1, isBlocked: true, timeToBlockExpire: 1 });
    // Refused and not counted.
    expect(await storage.increment(key, 60_000, 2, 800, 'test')).toEqual({ totalHits: 3, timeToExpire: 1, isBlocked: true, timeToBlockExpire: 1 });
    await sleep(900);
    // The block is over: a new window, although the first one had most of its minute left.
    const after = await storage.increment(key, 60_000, 2, 800, 'test');
    expect(after).toMatchObject({ totalHits: 1, isBlocked: false, timeToBlockExpire: 0 });
    expect(after.timeToExpire).toBeGreaterThanOrEqual(59);
  });

  it('with blockDuration 0, blocks until the window ends, then starts a new window', async () => {
    expect(await storage.increment(key, 1000, 1, 0, 'test')).toMatchObject({ totalHits: 1, isBlocked: false });
    const over = await storage.increment(key, 1000, 1, 0, 'test');
    expect(over).toEqual({ totalHits: 2, timeToExpire: 1, isBlocked: true, timeToBlockExpire: 1 });
    await sleep(1100);
    expect(await storage.increment(key, 1000, 1, 0, 'test')).toEqual({ totalHits: 1, timeToExpire: 1, isBlocked: false, timeToBlockExpire: 0 });
  });

  it('keeps a block that outlasts the window until the block ends', async () => {
    await storage.increment(key, 600, 1, 2000, 'test');
    expect(await storage.increment(key, 600, 1, 2000, 'test')).toEqual({ totalHits: 2, timeToExpire: 2, isBlocked: true, timeToBlockExpire: 2 });
    await sleep(800);
    // The window is over, the block is not.
    expect(await storage.increment(key, 600, 1, 2000, 'test')).toMatchObject({ totalHits: 2, isBlocked: true, timeToBlockExpire: expect.any(Number) });
    await sleep(1400);
    expect(await storage.increment(key, 600, 1, 2000, 'test')).toEqual({ totalHits: 1, timeToExpire: 1, isBlocked: false, timeToBlockExpire: 0 });
  });

  it('starts a new window with a count of 1 once the window is over', async () => {
    await storage.increment(key, 500, 5, 0, 'test');
    expect(await storage.increment(key, 500, 5, 0, 'test')).toMatchObject({ totalHits: 2, isBlocked: false });
    await sleep(600);
    expect(await storage.increment(key, 500, 5, 0, 'test')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('counts keys, and one key of different throttlers, apart', async () => {
    const other = randomUUID();
    await storage.increment(key, 60_000, 1, 0, 'test');
    expect(await storage.increment(key, 60_000, 1, 0, 'test')).toMatchObject({ isBlocked: true });
    expect(await storage.increment(other, 60_000, 1, 0, 'test')).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(await storage.increment(key, 60_000, 1, 0, 'another')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('blocks a limit of 0 from the first hit', async () => {
    expect(await storage.increment(key, 60_000, 0, 1000, 'test')).toEqual({ totalHits: 1, timeToExpire: 1, isBlocked: true, timeToBlockExpire: 1 });
  });

  it('counts concurrent hits exactly: 50 at once against a limit of 10 let exactly 10 through', async () => {
    const records = await Promise.all(Array.from({ length: 50 }, () => storage.increment(key, 60_000, 10, 60_000, 'test')));
    const through = records.filter((r) => !r.isBlocked);
    expect(through).toHaveLength(10);
    expect(through.map((r) => r.totalHits).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // The 11th hit blocked the key and was counted; none after it was.
    expect(records.filter((r) => r.isBlocked).map((r) => r.totalHits)).toEqual(Array(40).fill(11));
  });
});

describe('rate-limit storage on PostgreSQL: its rows', () => {
  const rowsOf = async (key: string) => (await pool.query(`SELECT hits, blocked FROM rate_limit_counters WHERE key = $1`, [key])).rows;

  it('deletes the counters whose window or block is over, and keeps the others', async () => {
    const storage = new PostgresThrottlerStorage(pool);
    const [short, long] = [randomUUID(), randomUUID()];
    await storage.increment(short, 200, 5, 0, 'test');
    await storage.increment(long, 60_000, 5, 0, 'test');
    await sleep(300);
    expect(await storage.deleteExpired()).toBeGreaterThanOrEqual(1);
    expect(await rowsOf(short)).toEqual([]);
    expect(await rowsOf(long)).toEqual([{ hits: 1, blocked: false }]);
    // Idempotent: deleting again changes nothing.
    await storage.deleteExpired();
    expect(await rowsOf(long)).toEqual([{ hits: 1, blocked: false }]);
  });

  it('deletes expired counters by itself from bootstrap until shutdown', async () => {
    const storage = new PostgresThrottlerStorage(pool, 100);
    const key = randomUUID();
    storage.onApplicationBootstrap();
    try {
      await storage.increment(key, 100, 5, 0, 'test');
      const deadline = Date.now() + 10_000;
      while ((await rowsOf(key)).length > 0 && Date.now() < deadline) await sleep(50);
      expect(await rowsOf(key)).toEqual([]);
    } finally {
      storage.onApplicationShutdown();
    }
    // Stopped: an expired counter stays.
    await storage.increment(key, 100, 5, 0, 'test');
    await sleep(400);
    expect(await rowsOf(key)).toEqual([{ hits: 1, blocked: false }]);
  });

  it('fails a hit with the pg error the API answers as unavailable when PostgreSQL cannot be reached', async () => {
    const nowhere = new pg.Pool({ connectionString: `postgres://nobody@127.0.0.1:${await freePort()}/none`, connectionTimeoutMillis: 2000 });
    nowhere.on('error', () => undefined);
    try {
      const failure = await new PostgresThrottlerStorage(nowhere).increment(randomUUID(), 1000, 1, 0, 'test').catch((err: unknown) => err);
      expect(isDatabaseUnavailable(failure)).toBe(true);
    } finally {
      await nowhere.end();
    }
  });
});

describe('rate-limit storage on Redis: its keys', () => {
  it('keeps a counter under the conclave:rl: prefix, expiring when its window ends', async () => {
    const storage = new RedisThrottlerStorage(redis);
    const key = randomUUID();
    await storage.increment(key, 400, 5, 0, 'test');
    const name = `${REDIS_KEY_PREFIX}test:${key}`;
    const pttl = await redis.pTTL(name);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(400);
    await sleep(500);
    expect(await redis.exists(name)).toBe(0);
  });

  it('sends the script again after Redis forgot it (SCRIPT FLUSH, a restart)', async () => {
    const storage = new RedisThrottlerStorage(redis);
    const key = randomUUID();
    await storage.increment(key, 60_000, 5, 0, 'test');
    await redis.scriptFlush();
    expect(await storage.increment(key, 60_000, 5, 0, 'test')).toMatchObject({ totalHits: 2, isBlocked: false });
  });
});

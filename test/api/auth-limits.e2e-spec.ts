import request from 'supertest';
import { sql } from '../support/db.js';
import { type Account, FAST_AUTH_ENV, newAccount, registerBody, solveCaptcha } from '../support/accounts.js';
import { ServerProcess } from '../support/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wrongKey = Buffer.alloc(32, 7).toString('base64');

describe('brute-force lockout and throttling behind a proxy (client IP from X-Forwarded-For)', () => {
  let proxied: ServerProcess;
  const accounts: Record<string, Account> = {};

  beforeAll(async () => {
    proxied = await ServerProcess.start({
      env: { ...FAST_AUTH_ENV, TRUST_PROXY: '1', LOGIN_MAX_FAILURES: '3', LOGIN_FAILURE_WINDOW_SECONDS: '60', LOGIN_LOCKOUT_SECONDS: '3', REGISTER_LIMIT_PER_HOUR: '3' },
    });
    for (const name of ['frank', 'grace', 'heidi']) {
      accounts[name] = await newAccount(name);
      const res = await call('198.51.100.250').post('/api/auth/register').send(registerBody(accounts[name]!, await solveCaptcha(proxied)));
      expect(res.status).toBe(201);
    }
  });

  afterAll(async () => {
    await proxied?.stop();
  });

  /** A request as the proxy forwards it, from client `ip`. */
  const call = (ip: string) => {
    const base = request(`http://127.0.0.1:${proxied.port}`);
    const decorate = (r: request.Test) => r.set('X-Forwarded-Proto', 'https').set('X-Forwarded-For', ip);
    return { post: (path: string) => decorate(base.post(path)), get: (path: string) => decorate(base.get(path)) };
  };
  const login = (ip: string, username: string, authKey = wrongKey) => call(ip).post('/api/auth/login').send({ username, authKey });

  async function failedAttempts(): Promise<number> {
    const [{ n }] = await sql<{ n: number }>(proxied, `SELECT count(*)::int AS n FROM audit_log WHERE event = 'auth.login_failed'`);
    return n;
  }

  it('blocks a username after 3 failures from anywhere, answers 429 with Retry-After before checking the password, and lifts it after the lockout', async () => {
    await login('203.0.113.1', 'frank').expect(401);
    await login('203.0.113.2', 'frank').expect(401);
    const third = await login('203.0.113.3', 'frank').expect(429);
    expect(third.headers['retry-after']).toBe('3');
    expect(third.body).toMatchObject({ statusCode: 429, retryAfterSeconds: 3, message: 'Too many failed sign-ins: try again in 3 seconds' });

    const failuresBefore = await failedAttempts();
    const blocked = await login('203.0.113.4', 'frank', accounts.frank!.keys.authKey).expect(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await login('203.0.113.5', 'frank').expect(429);
    expect(await failedAttempts()).toBe(failuresBefore); // refused before any credential check

    await sleep(3200);
    await login('203.0.113.6', 'frank', accounts.frank!.keys.authKey).expect(200);
  });

  it('blocks an IP after 3 failures across usernames, for every account, and only that IP', async () => {
    await login('203.0.113.20', 'nobody-1').expect(401);
    await login('203.0.113.20', 'nobody-2').expect(401);
    await login('203.0.113.20', 'nobody-3').expect(429);
    await login('203.0.113.20', 'grace', accounts.grace!.keys.authKey).expect(429);
    await login('203.0.113.21', 'grace', accounts.grace!.keys.authKey).expect(200);
  });

  it("resets a username's count on a successful sign-in", async () => {
    await login('203.0.113.30', 'heidi').expect(401);
    await login('203.0.113.31', 'heidi').expect(401);
    await login('203.0.113.32', 'heidi', accounts.heidi!.keys.authKey).expect(200);
    await login('203.0.113.33', 'heidi').expect(401);
    await login('203.0.113.34', 'heidi').expect(401);
    await login('203.0.113.35', 'heidi', accounts.heidi!.keys.authKey).expect(200);
  });

  it('throttles registration per IP', async () => {
    for (let i = 0; i < 3; i++) await call('203.0.113.40').post('/api/auth/register').send({}).expect(400);
    const throttled = await call('203.0.113.40').post('/api/auth/register').send({}).expect(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    expect(throttled.body.message).toBe('Too many sign-ups from this address: try again later');
    await call('203.0.113.41').post('/api/auth/register').send({}).expect(400);
  });
});

describe('sessions that end, and a lockout that outlives a restart', () => {
  let server: ServerProcess;
  let ivan: Account;
  const env = { ...FAST_AUTH_ENV, SESSION_IDLE_SECONDS: '3', SESSION_MAX_SECONDS: '6', LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_SECONDS: '120', REGISTER_LIMIT_PER_HOUR: '100' };

  beforeAll(async () => {
    [server, ivan] = await Promise.all([ServerProcess.start({ env }), newAccount('ivan')]);
    await request(server.origin).post('/api/auth/register').ca(server.certificate).send(registerBody(ivan, await solveCaptcha(server))).expect(201);
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function signedIn() {
    const agent = request.agent(server.origin).ca(server.certificate);
    await agent.post('/api/auth/login').set('Origin', server.origin).send({ username: 'ivan', authKey: ivan.keys.authKey }).expect(200);
    return agent;
  }

  it('ends a session left idle longer than SESSION_IDLE_SECONDS', async () => {
    const agent = await signedIn();
    await agent.get('/api/auth/me').expect(200);
    await sleep(4000);
    await agent.get('/api/auth/me').expect(401);
  });

  it('ends a session SESSION_MAX_SECONDS after sign-in even while it is used', async () => {
    const signedInAt = Date.now();
    const agent = await signedIn();
    // Used every second (well inside the 3 s idle limit) until the server ends it.
    let res = await agent.get('/api/auth/me');
    while (res.status === 200 && Date.now() - signedInAt < 15_000) {
      await sleep(1000);
      res = await agent.get('/api/auth/me');
    }
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('Your session has expired: sign in again');
    expect(Date.now() - signedInAt).toBeGreaterThanOrEqual(6000);
  });

  it('ignores X-Forwarded-For without TRUST_PROXY: the failures all count against the real address', async () => {
    for (const [i, name] of ['nobody-a', 'nobody-b', 'nobody-c'].entries()) {
      await request(server.origin).post('/api/auth/login').ca(server.certificate).set('X-Forwarded-For', `192.0.2.${i}`).send({ username: name, authKey: wrongKey });
    }
    await request(server.origin).post('/api/auth/login').ca(server.certificate).set('X-Forwarded-For', '192.0.2.99').send({ username: 'ivan', authKey: ivan.keys.authKey }).expect(429);
  });

  it('keeps the lockout across a restart (the counters are in PostgreSQL)', async () => {
    await server.stop();
    server = await ServerProcess.start({ env, dataDir: server.dataDir });
    const res = await request(server.origin).post('/api/auth/login').ca(server.certificate).send({ username: 'ivan', authKey: ivan.keys.authKey }).expect(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(100);
  });
});

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DEVICE_COOKIE } from '@conclave/contracts';
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
      env: { ...FAST_AUTH_ENV, TRUST_PROXY: '1', LOGIN_MAX_FAILURES: '3', LOGIN_ADDRESS_MAX_FAILURES: '6', LOGIN_FAILURE_WINDOW_SECONDS: '60', LOGIN_LOCKOUT_SECONDS: '3', REGISTER_LIMIT_PER_HOUR: '3' },
    });
    for (const [i, name] of ['frank', 'grace', 'heidi', 'judy', 'kate'].entries()) {
      accounts[name] = await newAccount(name);
      // REGISTER_LIMIT_PER_HOUR is 3 per address here.
      const res = await call(`198.51.100.${250 + Math.floor(i / 3)}`).post('/api/auth/register').send(registerBody(accounts[name]!, await solveCaptcha(proxied)));
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
  const login = (ip: string, username: string, authKey = wrongKey, cookie?: string) => {
    const req = call(ip).post('/api/auth/login');
    // A request with a cookie must name its origin (the CSRF check), as a browser does.
    return (cookie ? req.set('Cookie', cookie).set('Origin', `https://127.0.0.1:${proxied.port}`) : req).send({ username, authKey });
  };
  /** The device token a successful sign-in sets ("name=value"). */
  const deviceCookie = (res: request.Response) => [res.headers['set-cookie']].flat().find((c: string) => c.startsWith(`${DEVICE_COOKIE}=`))!.split(';')[0]!;

  async function failedAttempts(): Promise<number> {
    const [{ n }] = await sql<{ n: number }>(proxied, `SELECT count(*)::int AS n FROM audit_log WHERE event = 'auth.login_failed'`);
    return n;
  }

  it('blocks a username after 3 failures from anywhere, answers 429 with Retry-After before checking the password, and lifts it after the lockout', async () => {
    expect((await login('203.0.113.1', 'frank').expect(401)).body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Wrong username or password', attemptsLeft: 2 });
    expect((await login('203.0.113.2', 'frank').expect(401)).body.attemptsLeft).toBe(1);
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

  it('blocks an address after LOGIN_ADDRESS_MAX_FAILURES failures across usernames, for every account, and only that address', async () => {
    const left: number[] = [];
    for (let i = 1; i <= 5; i++) left.push((await login('203.0.113.20', `nobody-${i}`).expect(401)).body.attemptsLeft);
    // Each username could take 2 more; the address only 5, 4, 3, 2, 1: the smaller is what is left.
    expect(left).toEqual([2, 2, 2, 2, 1]);
    await login('203.0.113.20', 'nobody-6').expect(429);
    await login('203.0.113.20', 'grace', accounts.grace!.keys.authKey).expect(429);
    await login('203.0.113.21', 'grace', accounts.grace!.keys.authKey).expect(200);
  });

  it("does not lock a whole office out for one person's typos: a colleague on the same address still signs in", async () => {
    await login('203.0.113.50', 'judy').expect(401);
    await login('203.0.113.50', 'judy').expect(401);
    await login('203.0.113.50', 'judy').expect(429);
    // Kate has just signed up (no device token yet) and shares judy's address.
    await login('203.0.113.50', 'kate', accounts.kate!.keys.authKey).expect(200);
  });

  it('gives a successful sign-in its attempt back without forgiving earlier failures; its browser goes on with a device token of its own', async () => {
    await login('203.0.113.30', 'heidi').expect(401);
    await login('203.0.113.31', 'heidi').expect(401);
    const signedIn = await login('203.0.113.32', 'heidi', accounts.heidi!.keys.authKey).expect(200);
    // That browser now counts on its device token: a typo there leaves it 2 more.
    expect((await login('203.0.113.32', 'heidi', wrongKey, deviceCookie(signedIn)).expect(401)).body.attemptsLeft).toBe(2);
    await login('203.0.113.32', 'heidi', accounts.heidi!.keys.authKey, deviceCookie(signedIn)).expect(200);
    // Anyone else still has the 1 attempt the two failures left on the username.
    await login('203.0.113.33', 'heidi').expect(429);
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
  /** The device token of ivan's browser ("name=value"). */
  let ivanDevice: string;
  const env = { ...FAST_AUTH_ENV, SESSION_IDLE_SECONDS: '3', SESSION_MAX_SECONDS: '6', LOGIN_MAX_FAILURES: '3', LOGIN_ADDRESS_MAX_FAILURES: '3', LOGIN_LOCKOUT_SECONDS: '120', REGISTER_LIMIT_PER_HOUR: '100' };

  beforeAll(async () => {
    [server, ivan] = await Promise.all([ServerProcess.start({ env }), newAccount('ivan')]);
    await request(server.origin).post('/api/auth/register').ca(server.certificate).send(registerBody(ivan, await solveCaptcha(server))).expect(201);
    const res = await request(server.origin).post('/api/auth/login').ca(server.certificate).send({ username: 'ivan', authKey: ivan.keys.authKey }).expect(200);
    ivanDevice = [res.headers['set-cookie']].flat().find((c: string) => c.startsWith(`${DEVICE_COOKIE}=`))!.split(';')[0]!;
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

  it('keeps the lockout across a restart (the counters are in PostgreSQL), and the device tokens (their key is in DATA_DIR)', async () => {
    await server.stop();
    server = await ServerProcess.start({ env, dataDir: server.dataDir });
    const res = await request(server.origin).post('/api/auth/login').ca(server.certificate).send({ username: 'ivan', authKey: ivan.keys.authKey }).expect(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(100);
    // Ivan's own browser is not held up by the lockout of the address it shares with the guesser.
    await request(server.origin).post('/api/auth/login').ca(server.certificate).set('Origin', server.origin).set('Cookie', ivanDevice).send({ username: 'ivan', authKey: ivan.keys.authKey }).expect(200);

    const secretFile = join(server.dataDir, 'device-token.secret');
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    const secret = readFileSync(secretFile, 'utf8').trim();
    expect(secret.length).toBeGreaterThanOrEqual(43);
    expect(await sql(server, `SELECT name FROM server_secrets WHERE value = $1`, [secret])).toEqual([]);
  });
});

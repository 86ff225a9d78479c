import { createHash, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SESSION_COOKIE } from '@conclave/contracts';
import pg from 'pg';
import request from 'supertest';
import { type Account, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { sql } from '../support/db.js';
import { ExternalPostgres } from '../support/postgres.js';
import { newDataDir, ServerProcess } from '../support/server.js';
import { connect, connected, sessionCookie } from '../support/sockets.js';

/** express-session's cookie for `sid` signed with `secret` (cookie-signature: HMAC-SHA256, base64 without padding). */
function forgeCookie(sid: string, secret: string): string {
  const signature = createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '');
  return `${SESSION_COOKIE}=${encodeURIComponent(`s:${sid}.${signature}`)}`;
}

/** The session id a cookie carries ("name=s%3A<sid>.<signature>"). */
function sidOf(cookie: string): string {
  return /^s:([^.]+)\./.exec(decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1)))![1]!;
}

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');
const secretFile = (server: ServerProcess) => join(server.dataDir, 'session.secret');

async function me(server: ServerProcess, cookie: string): Promise<number> {
  return (await request(server.origin).get('/api/auth/me').ca(server.certificate).set('Cookie', cookie)).status;
}

async function socketAccepted(server: ServerProcess, cookie: string): Promise<boolean> {
  const socket = connect(server, cookie);
  try {
    return await connected(socket).then(
      () => true,
      () => false,
    );
  } finally {
    socket.close();
  }
}

describe('a stolen database signs nobody in', () => {
  let server: ServerProcess;
  let alice: Account;

  beforeAll(async () => {
    [server, alice] = await Promise.all([ServerProcess.start({ env: FAST_AUTH_ENV }), newAccount('alice')]);
    await registeredClient(server, alice);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('keeps only a hash of each session id, and no cookie secret: cookies forged from a dump are refused over REST and the socket', async () => {
    const cookie = await sessionCookie(server, alice);
    const sid = sidOf(cookie);
    const realSecret = readFileSync(secretFile(server), 'utf8').trim();
    expect(forgeCookie(sid, realSecret)).toBe(cookie); // the forger makes real cookies when given what it needs

    // What an attacker copies.
    const sessions = await sql<{ sid: string; sess: { userId?: string } }>(server, 'SELECT * FROM session');
    const secrets = await sql<{ name: string; value: string }>(server, 'SELECT * FROM server_secrets');
    expect(sessions.filter((s) => s.sess.userId === alice.userId).length).toBeGreaterThanOrEqual(2); // the dump is real
    expect(sessions.map((s) => s.sid)).not.toContain(sid);
    expect(sessions.map((s) => s.sid)).toContain(sha256Hex(sid));
    expect(secrets.map((s) => s.name)).not.toContain('session-cookie');
    expect(secrets.map((s) => s.value)).not.toContain(realSecret);

    // Every dumped id with every dumped value, and even with the real secret (as if it leaked too).
    const keys = [...secrets.map((s) => s.value), realSecret];
    for (const { sid: dumped } of sessions) {
      for (const key of keys) {
        const forged = forgeCookie(dumped, key);
        expect(await me(server, forged)).toBe(401);
        expect(await socketAccepted(server, forged)).toBe(false);
      }
    }

    expect(await me(server, cookie)).toBe(200);
    expect(await socketAccepted(server, cookie)).toBe(true);
  });

  it('signs out through the hashed id', async () => {
    const phone = await sessionCookie(server, alice);
    const laptop = await sessionCookie(server, alice);
    await request(server.origin).post('/api/auth/logout').ca(server.certificate).set('Origin', server.origin).set('Cookie', phone).expect(204);
    expect(await me(server, phone)).toBe(401);
    expect(await sql(server, 'SELECT 1 FROM session WHERE sid = $1', [sha256Hex(sidOf(phone))])).toEqual([]);
    expect(await me(server, laptop)).toBe(200);
  });

  it('keeps the secret in DATA_DIR/session.secret, readable by the server only, and across a restart', async () => {
    expect(statSync(secretFile(server)).mode & 0o777).toBe(0o600);
    const cookie = await sessionCookie(server, alice);
    await server.stop();
    server = await ServerProcess.start({ env: FAST_AUTH_ENV, dataDir: server.dataDir });
    expect(await me(server, cookie)).toBe(200);
  });

  it('makes a secret file other users could read 0600 again, and says so', async () => {
    const cookie = await sessionCookie(server, alice);
    await server.stop();
    chmodSync(secretFile(server), 0o644);
    server = await ServerProcess.start({ env: FAST_AUTH_ENV, dataDir: server.dataDir });
    expect(statSync(secretFile(server)).mode & 0o777).toBe(0o600);
    expect(server.stdout).toMatch(/"level":40,.*session\.secret could be read by other users \(mode 644\); it is 0600 now/);
    expect(await me(server, cookie)).toBe(200);
  });
});

describe('SESSION_SECRET', () => {
  it('signs the cookies instead of a file in DATA_DIR', async () => {
    const secret = randomBytes(32).toString('base64');
    const [server, bob] = await Promise.all([ServerProcess.start({ env: { ...FAST_AUTH_ENV, SESSION_SECRET: secret } }), newAccount('bob')]);
    try {
      await registeredClient(server, bob);
      const cookie = await sessionCookie(server, bob);
      expect(forgeCookie(sidOf(cookie), secret)).toBe(cookie);
      expect(() => statSync(secretFile(server))).toThrow(/ENOENT/);
    } finally {
      await server.stop();
    }
  });

  it('refuses a short one without printing it', async () => {
    const refused = await ServerProcess.spawn({ env: { SESSION_SECRET: 'hunter2hunter2' } });
    expect((await refused.exited).code).toBe(1);
    expect(refused.stderr.trim()).toBe('conclave: SESSION_SECRET: must be at least 32 characters (e.g. the output of openssl rand -base64 32) (got 14 characters)');
  });
});

describe('upgrading a database that kept session ids and the cookie secret in clear', () => {
  let postgres: ExternalPostgres;

  beforeAll(async () => {
    postgres = await ExternalPostgres.start();
  });

  afterAll(async () => {
    await postgres?.stop();
  });

  it('ends the sessions and drops the cookie secret an older version kept in the database: a dump taken before the upgrade signs nobody in', async () => {
    const env = { ...FAST_AUTH_ENV, DATABASE_URL: await postgres.createDatabase('upgrade') };
    const dataDir = newDataDir();
    const carol = await newAccount('carol');
    let server = await ServerProcess.start({ env, dataDir });
    const cookie = await (async () => {
      try {
        await registeredClient(server, carol);
        return await sessionCookie(server, carol);
      } finally {
        await server.stop();
      }
    })();
    const sid = sidOf(cookie);
    const secret = readFileSync(join(dataDir, 'session.secret'), 'utf8').trim();

    // Turn the database back into what the previous version left: ids in clear, the secret in a table
    // (and so in every dump of it).
    const db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    try {
      await db.query(`UPDATE session SET sid = $1 WHERE sid = $2`, [sid, sha256Hex(sid)]);
      await db.query(`INSERT INTO server_secrets (name, value) VALUES ('session-cookie', $1)`, [secret]);
      await db.query(`DELETE FROM migrations WHERE name = 'HashSessionIds1764340000000'`);
      rmSync(join(dataDir, 'session.secret'));

      server = await ServerProcess.start({ env, dataDir });
      try {
        expect(await me(server, cookie)).toBe(401);
        expect((await db.query(`SELECT sid FROM session`)).rows).toEqual([]);
        expect((await db.query(`SELECT name FROM server_secrets WHERE name = 'session-cookie'`)).rows).toEqual([]);
        expect(readFileSync(join(dataDir, 'session.secret'), 'utf8').trim()).not.toBe(secret);
        expect(statSync(join(dataDir, 'session.secret')).mode & 0o777).toBe(0o600);
        // Signing in again works as ever.
        expect(await me(server, await sessionCookie(server, carol))).toBe(200);
      } finally {
        await server.stop();
      }
    } finally {
      await db.end();
    }
  });

});

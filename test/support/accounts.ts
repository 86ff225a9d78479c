import { randomUUID } from 'node:crypto';
import type { CaptchaConfig, KeyBackup, PublicKeys, RegisterRequest } from '@conclave/contracts';
import { type AccountKeys, deriveAccountKeys, exportPublicKeys, generateIdentity, type NewIdentity, sealKeyBackup } from '@conclave/crypto';
import { solveChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import request from 'supertest';
import type { Endpoint } from './server.js';

/** Environment that makes auth suites fast: a trivial captcha and cheap bcrypt. */
export const FAST_AUTH_ENV = { ALTCHA_COST: '1', ALTCHA_MAX_COUNTER: '8', BCRYPT_COST: '4' };

/** A user as a browser would create one: real key derivation, identity keys and sealed backup. */
export interface Account {
  userId: string;
  username: string;
  password: string;
  keys: AccountKeys;
  identity: NewIdentity;
  publicKeys: PublicKeys;
  keyBackup: KeyBackup;
}

export async function newAccount(username: string, password = `${username} has a long passphrase`): Promise<Account> {
  const userId = randomUUID();
  const [keys, identity] = await Promise.all([deriveAccountKeys(password, username), generateIdentity()]);
  return {
    userId,
    username,
    password,
    keys,
    identity,
    publicKeys: await exportPublicKeys(identity),
    keyBackup: await sealKeyBackup(identity, keys.wrapKey, userId),
  };
}

/** Fetches an ALTCHA challenge and solves it as the widget does; returns the payload to submit. */
export async function solveCaptcha(server: Endpoint): Promise<string> {
  const get = request(server.origin).get('/api/auth/captcha');
  // Behind the proxy the server speaks plain HTTP and trusts X-Forwarded-Proto; otherwise verify its certificate.
  const res = await (server.proxied ? get.set('X-Forwarded-Proto', 'https') : get.ca(server.certificate)).expect(200);
  const config = res.body as CaptchaConfig;
  if (config.provider !== 'altcha') throw new Error(`expected an ALTCHA challenge, got ${config.provider}`);
  const challenge = config.challenge as Parameters<typeof solveChallenge>[0]['challenge'];
  const solution = await solveChallenge({ challenge, deriveKey });
  if (!solution) throw new Error('could not solve the captcha');
  return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
}

export function registerBody(account: Account, captcha: string): RegisterRequest {
  return {
    userId: account.userId,
    username: account.username,
    authKey: account.keys.authKey,
    publicKeys: account.publicKeys,
    keyBackup: account.keyBackup,
    captcha,
  };
}

/** A browser-like HTTPS client: keeps the session cookie and sends the server's Origin. */
export interface Client {
  get(path: string): request.Test;
  post(path: string, body?: object): request.Test;
  put(path: string, body?: object): request.Test;
  patch(path: string, body?: object): request.Test;
  delete(path: string): request.Test;
}

export function browserClient(server: Endpoint): Client {
  const agent = request.agent(server.origin).ca(server.certificate);
  return {
    get: (path) => agent.get(path).set('Origin', server.origin),
    post: (path, body) => agent.post(path).set('Origin', server.origin).send(body),
    put: (path, body) => agent.put(path).set('Origin', server.origin).send(body),
    patch: (path, body) => agent.patch(path).set('Origin', server.origin).send(body),
    delete: (path) => agent.delete(path).set('Origin', server.origin),
  };
}

/** Registers `account` (solving the captcha) and returns a signed-in client. */
export async function registeredClient(server: Endpoint, account: Account): Promise<Client> {
  const client = browserClient(server);
  await client.post('/api/auth/register', registerBody(account, await solveCaptcha(server))).expect(201);
  await client.post('/api/auth/login', { username: account.username, authKey: account.keys.authKey }).expect(200);
  return client;
}

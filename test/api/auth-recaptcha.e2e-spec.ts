import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { FAST_AUTH_ENV, newAccount, registerBody } from '../support/accounts.js';
import { ServerProcess } from '../support/server.js';

/** Stands in for Google's siteverify endpoint: accepts tokens starting with "good-". */
let verifier: Server;
const seen: URLSearchParams[] = [];
let server: ServerProcess;

beforeAll(async () => {
  verifier = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      seen.push(form);
      const good = form.get('secret') === 'test-secret' && (form.get('response') ?? '').startsWith('good-');
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(good ? { success: true } : { success: false, 'error-codes': ['invalid-input-response'] }));
    });
  });
  await new Promise<void>((resolve) => verifier.listen(0, '127.0.0.1', resolve));
  const verifyUrl = `http://127.0.0.1:${(verifier.address() as AddressInfo).port}/recaptcha/api/siteverify`;
  server = await ServerProcess.start({
    env: { ...FAST_AUTH_ENV, RECAPTCHA_SITE_KEY: 'test-site-key', RECAPTCHA_SECRET_KEY: 'test-secret', RECAPTCHA_VERIFY_URL: verifyUrl },
  });
});

afterAll(async () => {
  await server?.stop();
  verifier?.close();
});

const register = (body: object) => request(server.origin).post('/api/auth/register').ca(server.certificate).send(body);

describe('reCAPTCHA v2 instead of ALTCHA (RECAPTCHA_SITE_KEY + RECAPTCHA_SECRET_KEY)', () => {
  it('tells the sign-up page to show reCAPTCHA with the site key (never the secret)', async () => {
    const res = await request(server.origin).get('/api/auth/captcha').ca(server.certificate).expect(200);
    expect(res.body).toEqual({ provider: 'recaptcha', siteKey: 'test-site-key' });
  });

  it('accepts a token the verification server accepts, sending it the secret, token and client IP', async () => {
    const judy = await newAccount('judy');
    await register(registerBody(judy, 'good-token-1')).expect(201);
    const asked = seen.at(-1)!;
    expect(asked.get('secret')).toBe('test-secret');
    expect(asked.get('response')).toBe('good-token-1');
    expect(asked.get('remoteip')).toMatch(/127\.0\.0\.1/);
  });

  it('refuses a token the verification server rejects, and a token used twice', async () => {
    const kim = await newAccount('kim');
    const rejected = await register(registerBody(kim, 'forged-token')).expect(400);
    expect(rejected.body.message).toBe('Captcha not solved (invalid-input-response)');
    const replayed = await register(registerBody(kim, 'good-token-1')).expect(400);
    expect(replayed.body.message).toBe('Captcha not solved: this solution was already used');
    await register(registerBody(kim, 'good-token-2')).expect(201);
  });
});

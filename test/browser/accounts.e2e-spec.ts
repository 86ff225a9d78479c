import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AUTH_PATHS, DEVICE_COOKIE } from '@conclave/contracts';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { newAccount, registerBody, solveCaptcha } from '../support/accounts.js';
import { encodingsOf, launchChromium, recordRequests } from '../support/browser.js';
import { REPO_ROOT, ServerProcess } from '../support/server.js';

const PASSWORD = 'Quiet otter sings at noon 7!';
let server: ServerProcess;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** Everything any page sent, to prove the typed password never left the browser. */
const sent: string[] = [];
const violations: string[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([
    // A light proof-of-work keeps the suite quick; the widget still has to solve it for real.
    ServerProcess.start({ env: { ALTCHA_COST: '50', ALTCHA_MAX_COUNTER: '40', BCRYPT_COST: '4', LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_SECONDS: '60' } }),
    launchChromium(),
  ]);
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await server?.stop();
});

async function freshPage(): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  contexts.push(context);
  recordRequests(context, sent);
  const page = await context.newPage();
  await page.exposeFunction('reportCspViolation', (text: string) => violations.push(text));
  await page.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as unknown as { reportCspViolation(t: string): void }).reportCspViolation(`${e.violatedDirective} ${e.blockedURI}`),
    ),
  );
  page.on('console', (m) => /Content Security Policy/i.test(m.text()) && violations.push(m.text()));
  return page;
}

async function signUp(page: Page, username: string, password: string): Promise<void> {
  await page.goto(`${server.origin}/sign-up`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  await page.locator('altcha-widget').getByText("I'm not a robot").click();
  await page.locator('altcha-widget .altcha[data-state="verified"]').waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Create account' }).click();
}

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto(`${server.origin}/sign-in`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('accounts in chromium', () => {
  it('validates the sign-up form inline before anything is sent', async () => {
    const page = await freshPage();
    await page.goto(`${server.origin}/sign-up`);
    await page.getByLabel('Username').fill('Zo');
    await page.getByLabel('Password', { exact: true }).fill('password1234');
    await page.getByLabel('Repeat the password').fill('password12345');
    await page.getByLabel('Repeat the password').blur();
    await expect(page.locator('#su-username-error').textContent()).resolves.toContain('3 to 32 characters');
    await expect(page.locator('#su-password-error').textContent()).resolves.toBe('This password is too common: choose something less guessable');
    await expect(page.locator('#su-confirm-error').textContent()).resolves.toBe('The two passwords differ');
  });

  it('signs up through the real ALTCHA widget with key-generation progress, and lands signed in', async () => {
    const page = await freshPage();
    const steps: string[] = [];
    await page.exposeFunction('recordStep', (text: string) => steps.push(text));
    await page.addInitScript(() => {
      new MutationObserver(() => {
        const text = document.querySelector('.progress')?.textContent?.trim();
        if (text) (window as unknown as { recordStep(t: string): void }).recordStep(text);
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    await signUp(page, 'zoe', PASSWORD);
    await page.waitForURL('**/home', { timeout: 60_000 });
    await page.getByRole('heading', { level: 1, name: 'Welcome, zoe' }).waitFor();
    await expect(page.locator('.fingerprint span').count()).resolves.toBe(6);
    expect(steps).toEqual(expect.arrayContaining([expect.stringContaining('Generating your encryption keys (RSA-4096')]));

    mkdirSync(join(REPO_ROOT, 'test-output'), { recursive: true });
    await page.screenshot({ path: join(REPO_ROOT, 'test-output/home-signed-in.png'), fullPage: true });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${server.origin}/`);
    await page.goto(`${server.origin}/home`);
    await page.waitForURL('**/sign-in');
  });

  it('signs in from a fresh browser, opens the key backup, and keeps the keys non-extractable in IndexedDB', async () => {
    const page = await freshPage();
    await signIn(page, 'Zoe', PASSWORD);
    await page.waitForURL('**/home');
    const stored = await page.evaluate(
      () =>
        new Promise<{ enc: boolean; sig: boolean; types: string[] }>((resolve, reject) => {
          const open = indexedDB.open('conclave');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const get = open.result.transaction('identity').objectStore('identity').get('current');
            get.onsuccess = () => {
              const { enc, sig } = get.result as { enc: CryptoKey; sig: CryptoKey };
              resolve({ enc: enc.extractable, sig: sig.extractable, types: [enc.algorithm.name, sig.algorithm.name] });
            };
          };
        }),
    );
    expect(stored).toEqual({ enc: false, sig: false, types: ['RSA-OAEP', 'ECDSA'] });
    // A reload keeps the session and the keys.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Welcome, zoe' }).waitFor();
    expect(page.url()).toBe(`${server.origin}/home`);
  });

  it('shows the server’s reasons: a taken username, a wrong password, a lockout with the time left', async () => {
    const page = await freshPage();
    await signUp(page, 'zoe', 'Another long passphrase 99');
    await expect(page.locator('.form-error').textContent()).resolves.toContain('The username "zoe" is taken');

    // The form counts down the tries left (the server's attemptsLeft), then shows the lockout.
    for (const left of ['2 tries', '1 try']) {
      await signIn(page, 'zoe', 'Not the right passphrase');
      await expect(page.locator('.form-error').textContent()).resolves.toContain('Wrong username or password');
      await expect(page.locator('.attempts-left').textContent().then((text) => text?.trim())).resolves.toBe(`${left} left before sign-in is locked`);
    }
    await signIn(page, 'zoe', 'Not the right passphrase');
    await expect(page.locator('.form-error').textContent()).resolves.toMatch(/Too many failed sign-ins: try again in 1 minute \(\d+ s\)/);
    await expect(page.locator('.attempts-left').count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Sign in' }).isDisabled()).resolves.toBe(true);
  });

  it('keeps a browser that has signed in before signing in while someone else keeps the username locked (its device token)', async () => {
    const password = 'Yara keeps her own browser 4';
    const yara = await newAccount('yara', password);
    await request(server.origin).post(AUTH_PATHS.register).ca(server.certificate).send(registerBody(yara, await solveCaptcha(server))).expect(201);

    const own = await freshPage();
    await signIn(own, 'yara', password);
    await own.waitForURL('**/home');
    const device = (await own.context().cookies()).find((c) => c.name === DEVICE_COOKIE);
    expect(device).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    await own.getByRole('button', { name: 'Sign out' }).click();
    await own.waitForURL(`${server.origin}/`);

    // Someone guesses yara's password until the username is locked.
    const guess = () => request(server.origin).post(AUTH_PATHS.login).ca(server.certificate).send({ username: 'yara', authKey: Buffer.alloc(32, 1).toString('base64') });
    for (let i = 0; i < 2; i++) await guess().expect(401);
    await guess().expect(429);

    const other = await freshPage();
    await signIn(other, 'yara', password);
    await expect(other.locator('.form-error').textContent()).resolves.toMatch(/Too many failed sign-ins/);

    await signIn(own, 'yara', password);
    await own.waitForURL('**/home');
    await own.getByRole('heading', { level: 1, name: 'Welcome, yara' }).waitFor();
  });

  it('never sent the typed password anywhere, and the pages broke no CSP rule', () => {
    expect(sent.length).toBeGreaterThan(10);
    for (const entry of sent) for (const form of encodingsOf(PASSWORD)) expect(entry).not.toContain(form);
    expect(violations).toEqual([]);
  });
});

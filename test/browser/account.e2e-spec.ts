import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type Account, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { encodingsOf, launchChromium, recordRequests } from '../support/browser.js';
import { createRoom, joinRoom, messages, type PageIncidents, say, signInPage, watchedPage } from '../support/chat-ui.js';
import { sql } from '../support/db.js';
import { ServerProcess } from '../support/server.js';

const NEW_PASSWORD = 'A fresh otter passphrase 42';
let server: ServerProcess;
let browser: Browser;
const contexts: BrowserContext[] = [];
const incidents: PageIncidents = { violations: [], dialogs: [], errors: [] };
/** Every request any page sent: neither password may appear in one. */
const sent: string[] = [];
let kim: Account;
let lee: Account;
let kimPage: Page;
let kimPhone: Page;
let leePage: Page;
let code: string;

async function page(): Promise<Page> {
  const watched = await watchedPage(browser, incidents, contexts);
  recordRequests(watched.context(), sent);
  return watched;
}

async function changePassword(current: string, next: string, repeat = next): Promise<void> {
  await kimPage.getByLabel('Current password').fill(current);
  await kimPage.getByLabel('New password', { exact: true }).fill(next);
  await kimPage.getByLabel('Repeat the new password').fill(repeat);
  await kimPage.getByRole('button', { name: 'Change password' }).click();
}

beforeAll(async () => {
  [server, browser, kim, lee] = await Promise.all([
    ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', LOGIN_MAX_FAILURES: '10' } }),
    launchChromium(),
    newAccount('kim'),
    newAccount('lee'),
  ]);
  await registeredClient(server, kim);
  await registeredClient(server, lee);
  [kimPage, kimPhone, leePage] = await Promise.all([page(), page(), page()]);
  await Promise.all([signInPage(kimPage, server, kim), signInPage(kimPhone, server, kim), signInPage(leePage, server, lee)]);
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await server?.stop();
});

describe('changing the password in chromium', () => {
  it('starts from a room where kim has marked lee as verified', async () => {
    code = await createRoom(kimPage, 'Pair');
    await joinRoom(leePage, code, 'Pair', kimPage);
    await say(leePage, 'hello kim');
    await kimPage.getByRole('button', { name: 'Safety number with lee' }).click();
    await kimPage.getByRole('button', { name: 'Mark as verified' }).click();
    await kimPage.getByText('You marked lee as verified').waitFor();
    await kimPage.getByRole('button', { name: 'Close' }).click();
    await messages(kimPage).filter({ hasText: 'hello kim' }).getByText('✔ verified').waitFor({ timeout: 30_000 });
  });

  it('checks the form, then refuses a wrong current password without changing anything', async () => {
    await kimPage.getByRole('link', { name: 'Account settings of kim' }).click();
    await kimPage.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();

    await changePassword(kim.password, 'too short');
    await kimPage.getByText('Use at least 12 characters').waitFor();
    await changePassword(kim.password, kim.password);
    await kimPage.getByText('Choose a password different from the current one').waitFor();
    await changePassword(kim.password, NEW_PASSWORD, NEW_PASSWORD + '!');
    await kimPage.getByText('The two passwords differ').waitFor();

    await changePassword('Not kim’s password at all', NEW_PASSWORD);
    await kimPage.getByRole('alert').filter({ hasText: 'The current password is wrong' }).waitFor({ timeout: 30_000 });
    const [row] = await sql<{ n: number }>(server, `SELECT count(*)::int AS n FROM audit_log WHERE event = 'auth.password_changed'`);
    expect(row!.n).toBe(0);
  });

  it('changes it: keys and verifications sealed again, the other session signed out, this one kept', async () => {
    await changePassword(kim.password, NEW_PASSWORD);
    await kimPage.getByText('Your password is changed. Your other sessions were signed out.').waitFor({ timeout: 30_000 });
    await expect(kimPage.getByLabel('Current password').inputValue()).resolves.toBe('');

    await kimPhone.waitForURL('**/sign-in', { timeout: 20_000 });
    // This browser keeps chatting, and its verification marks are still readable.
    await kimPage.getByRole('link', { name: /Pair/ }).click();
    await say(kimPage, 'new password, same keys');
    await messages(leePage).filter({ hasText: 'new password, same keys' }).waitFor({ timeout: 20_000 });
  });

  it('signs in with the new password only, and the verification followed the change', async () => {
    const fresh = await page(); // no cookies, no IndexedDB: everything comes from the server
    await fresh.goto(`${server.origin}/sign-in`);
    await fresh.getByLabel('Username').fill('kim');
    await fresh.getByLabel('Password').fill(kim.password);
    await fresh.getByRole('button', { name: 'Sign in' }).click();
    await fresh.getByRole('alert').filter({ hasText: 'Wrong username or password' }).waitFor({ timeout: 30_000 });

    await signInPage(fresh, server, { ...kim, password: NEW_PASSWORD });
    await fresh.goto(`${server.origin}/rooms/${code}`);
    await messages(fresh).filter({ hasText: 'hello kim' }).getByText('✔ verified').waitFor({ timeout: 30_000 });
    await messages(fresh).filter({ hasText: 'new password, same keys' }).waitFor();
  });

  it('never sent either password, broke no CSP rule, and logged only the refused attempts', () => {
    expect(sent.length).toBeGreaterThan(10);
    for (const form of [...encodingsOf(kim.password), ...encodingsOf(NEW_PASSWORD)]) for (const entry of sent) expect(entry).not.toContain(form);
    expect(incidents.violations).toEqual([]);
    expect(incidents.dialogs).toEqual([]);
    // Chromium logs each refused request (the wrong passwords, the signed-out phone) as a console error.
    expect(incidents.errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });
});

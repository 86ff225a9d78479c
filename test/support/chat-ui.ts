import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { Account } from './accounts.js';
import type { ServerProcess } from './server.js';

/** What a page did that it must not: CSP violations, dialogs (alert/confirm/prompt), console errors, page errors. */
export interface PageIncidents {
  violations: string[];
  dialogs: string[];
  errors: string[];
}

/** A fresh browser context (own cookies and IndexedDB) whose page reports every incident. */
export async function watchedPage(browser: Browser, incidents: PageIncidents, contexts: BrowserContext[]): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  contexts.push(context);
  const page = await context.newPage();
  await page.exposeFunction('reportCspViolation', (text: string) => incidents.violations.push(text));
  await page.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as unknown as { reportCspViolation(t: string): void }).reportCspViolation(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`),
    ),
  );
  page.on('dialog', (dialog) => {
    incidents.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) incidents.errors.push(m.text());
  });
  page.on('pageerror', (err) => incidents.errors.push(`pageerror: ${err.message}`));
  return page;
}

/** Signs in through the sign-in page (the browser derives the keys and opens the backup). */
export async function signInPage(page: Page, server: ServerProcess, account: Account): Promise<void> {
  await page.goto(`${server.origin}/sign-in`);
  await page.getByLabel('Username').fill(account.username);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/home', { timeout: 60_000 });
}

/** The messages of the open room (not the day separators, membership lines or the unread divider). */
export const messages = (page: Page) => page.locator('ol.messages > li.message');

/** Types a message and sends it with Enter; waits until the server acknowledged it (one more own line marked ok). */
export async function say(page: Page, text: string): Promise<void> {
  const acknowledged = page.locator('ol.messages > li.mine[data-state="ok"]');
  const before = await acknowledged.count();
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
  await acknowledged.nth(before).waitFor({ timeout: 20_000 });
}

/** Creates a room through the dialog (with a room password if given), opens it, and returns its code. */
export async function createRoom(page: Page, name: string, options: { password?: string } = {}): Promise<string> {
  await page.getByRole('button', { name: 'Create room' }).click();
  await page.getByLabel('Room name').fill(name);
  if (options.password) await page.getByLabel(/^Room password/).fill(options.password);
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  const code = (await page.getByLabel('New room code').textContent({ timeout: 60_000 }))!.trim();
  await page.getByRole('button', { name: `Open ${name}` }).click();
  await page.waitForURL(`**/rooms/${code}`);
  await page.getByRole('heading', { level: 1, name }).waitFor();
  return code;
}

/** The signed-in user's name, from the top bar. */
export async function usernameOf(page: Page): Promise<string> {
  return (await page.locator('header.topbar .me').textContent())!.trim();
}

/** Asks to join by code through the sidebar form: the page then waits for a member to let the user in. */
export async function askToJoin(page: Page, code: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Room code' }).fill(code);
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await page.waitForURL(`**/rooms/${code}`);
  await page.getByRole('status').filter({ hasText: 'Waiting for a member to let you in' }).waitFor();
}

/** The join request of `username` as a member sees it in the room (opened from the sidebar if needed). */
export async function joinRequest(member: Page, code: string, username: string): Promise<Locator> {
  if (!member.url().endsWith(`/rooms/${code}`)) await member.locator('nav[aria-label="Rooms"]').getByRole('link', { name: new RegExp(code) }).click();
  await member.waitForURL(`**/rooms/${code}`);
  const request = member.getByRole('group', { name: `${username} asks to join` });
  await request.waitFor({ timeout: 30_000 });
  return request;
}

/**
 * Joins a room by its code: asks through the sidebar form, a member (on `admitter`) admits the
 * request after it shows with the safety number, and the room opens for the joiner.
 */
export async function joinRoom(page: Page, code: string, name: string, admitter: Page): Promise<void> {
  await askToJoin(page, code);
  const request = await joinRequest(admitter, code, await usernameOf(page));
  await request.getByRole('button', { name: /^Admit/ }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor({ timeout: 30_000 });
}

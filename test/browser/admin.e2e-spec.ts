import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { API_TOKEN_PATTERN, type AdminRoomSummary, type AdminUserSummary, type Page as ApiPage } from '@conclave/contracts';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { type Account, type Client, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { bearer, makeAdmin } from '../support/api-tokens.js';
import { launchChromium } from '../support/browser.js';
import { createRoom, type PageIncidents, signInPage, watchedPage } from '../support/chat-ui.js';
import { sql } from '../support/db.js';
import { ServerProcess } from '../support/server.js';

/** Screenshots of the console for the review (not compared: they show the layout at desk and phone sizes). */
const SHOTS = process.env.ADMIN_SCREENSHOTS_DIR;

let server: ServerProcess;
let browser: Browser;
const contexts: BrowserContext[] = [];
const incidents: PageIncidents = { violations: [], dialogs: [], errors: [] };
let ada: Account;
let bob: Account;
let cyd: Account;
let bobClient: Client;
let adaPage: Page;
let code: string;
/** The token the console showed once. */
let token: string;

async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** A request from the test with the token, over HTTPS with the server's own certificate (as an integrator's curl would). */
const withToken = (method: 'get' | 'put', path: string) => request(server.origin)[method](path).ca(server.certificate).set(bearer(token));

beforeAll(async () => {
  [server, browser, ada, bob, cyd] = await Promise.all([
    ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', ADMIN_USERNAMES: 'Ada' } }),
    launchChromium(),
    newAccount('ada'),
    newAccount('bob'),
    newAccount('cyd'),
  ]);
  await registeredClient(server, ada);
  // ADMIN_USERNAMES makes ada an admin at registration once issue13-auth is merged; this branch was built
  // without it, so the same flag is also set directly (harmless when both apply).
  await makeAdmin(server, ada.userId);
  bobClient = await registeredClient(server, bob);
  await registeredClient(server, cyd);
  adaPage = await watchedPage(browser, incidents, contexts);
  await adaPage.setViewportSize({ width: 1280, height: 900 });
  await signInPage(adaPage, server, ada);
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await server?.stop();
});

describe('the admin console in chromium', () => {
  it('is hidden from a user who is not an admin, /admin sends them home, and the server refuses their admin call', async () => {
    const bobPage = await watchedPage(browser, incidents, contexts);
    await signInPage(bobPage, server, bob);
    await expect(bobPage.getByRole('link', { name: 'Admin', exact: true }).count()).resolves.toBe(0);
    await bobPage.goto(`${server.origin}/admin/tokens`);
    await bobPage.waitForURL('**/home');
    await bobPage.getByRole('heading', { level: 1, name: 'Welcome, bob' }).waitFor();
    await expect(bobPage.getByRole('heading', { name: 'Administration' }).count()).resolves.toBe(0);

    const refused = await bobClient.get('/api/admin/v1/rooms').expect(403);
    expect(refused.body).toMatchObject({ statusCode: 403 });
    await bobClient.get('/api/admin/v1/tokens').expect(403);
  });

  it('shows a site admin the Admin link, and the console lists the rooms with their details', async () => {
    code = await createRoom(adaPage, 'Operations');
    await adaPage.getByRole('link', { name: 'Admin', exact: true }).click();
    await adaPage.waitForURL('**/admin/rooms');
    await adaPage.getByRole('heading', { level: 1, name: 'Administration' }).waitFor();
    const rooms = adaPage.getByRole('list', { name: 'Rooms' });
    await rooms.getByRole('button', { name: new RegExp(`Operations ${code}`) }).click();
    const detail = adaPage.getByRole('region', { name: `Operations ${code}` });
    await detail.getByText('Owner', { exact: true }).waitFor();
    await expect(detail.locator('dd').first().textContent()).resolves.toBe('ada');
    await expect(detail.locator('dd').nth(1).textContent()).resolves.toMatch(/^1 of at most \d+$/);
    await detail.getByRole('list', { name: 'Members' }).getByText('ada').waitFor();
    await expect(adaPage.evaluate(() => document.activeElement?.id)).resolves.toBe('room-detail-heading');
    await shot(adaPage, 'admin-rooms-desktop');
  });

  it('blocks and unblocks new joins, each confirmed', async () => {
    const detail = adaPage.getByRole('region', { name: `Operations ${code}` });
    const blocked = async () => (await sql<{ joins_blocked: boolean }>(server, 'SELECT joins_blocked FROM rooms WHERE code = $1', [code]))[0]!.joins_blocked;
    await detail.getByRole('button', { name: 'Block joins' }).click();
    await detail.getByRole('button', { name: 'Cancel' }).click();
    await expect(blocked()).resolves.toBe(false);

    await detail.getByRole('button', { name: 'Block joins' }).click();
    await detail.getByRole('button', { name: 'Yes, block joins' }).click();
    await detail.getByText('Blocked by an administrator').waitFor();
    await adaPage.getByRole('list', { name: 'Rooms' }).getByText('joins blocked').waitFor();
    await expect(blocked()).resolves.toBe(true);

    await detail.getByRole('button', { name: 'Unblock joins' }).click();
    await detail.getByRole('button', { name: 'Yes, unblock joins' }).click();
    await detail.getByText('Open', { exact: true }).waitFor();
    await expect(blocked()).resolves.toBe(false);
  });

  it('creates a token with rooms:read and users:read, shown once with a warning', async () => {
    await adaPage.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'API tokens' }).click();
    await adaPage.waitForURL('**/admin/tokens');
    await adaPage.getByLabel('Name', { exact: true }).fill('integration');
    await adaPage.getByRole('checkbox', { name: /rooms:read/ }).check();
    await adaPage.getByRole('checkbox', { name: /users:read/ }).check();
    await expect(adaPage.getByLabel(/^Expires after/).inputValue()).resolves.toBe('90');
    await adaPage.getByRole('button', { name: 'Create token' }).click();

    const secret = adaPage.getByLabel('New API token');
    await secret.waitFor();
    token = await secret.inputValue();
    expect(token).toMatch(API_TOKEN_PATTERN);
    await adaPage.getByText('You will not see it again').waitFor();
    await adaPage.getByRole('button', { name: 'Copy', exact: true }).waitFor();
    const listed = adaPage.getByRole('listitem', { name: 'Token integration' });
    await expect(listed.textContent()).resolves.toContain('rooms:read, users:read');
    await expect(listed.textContent()).resolves.toContain('Active');
    await shot(adaPage, 'admin-token-created');

    const [row] = await sql<{ scopes: string[]; days: number }>(
      server,
      `SELECT scopes, round(extract(epoch FROM expires_at - created_at) / 86400)::int AS days FROM api_tokens WHERE name = 'integration'`,
    );
    expect(row).toEqual({ scopes: ['rooms:read', 'users:read'], days: 90 });

    // Once: after leaving the screen the secret is nowhere on the page.
    await adaPage.reload();
    await adaPage.getByRole('listitem', { name: 'Token integration' }).waitFor();
    await expect(adaPage.content()).resolves.not.toContain(token.split('_')[2]);
  });

  it('works from the test over HTTPS on the routes its scopes allow, and only those', async () => {
    const rooms = await withToken('get', '/api/admin/v1/rooms').expect(200);
    expect((rooms.body as ApiPage<AdminRoomSummary>).items.map((r) => r.code)).toContain(code);
    const users = await withToken('get', '/api/admin/v1/users').expect(200);
    expect((users.body as ApiPage<AdminUserSummary>).items.map((u) => u.username)).toEqual(expect.arrayContaining(['ada', 'bob', 'cyd']));

    const refused = await withToken('put', `/api/admin/v1/rooms/${code}/joins`).send({ blocked: true }).expect(403);
    expect(refused.body).toMatchObject({ statusCode: 403 });
    const [room] = await sql<{ joins_blocked: boolean }>(server, 'SELECT joins_blocked FROM rooms WHERE code = $1', [code]);
    expect(room!.joins_blocked).toBe(false);
  });

  it('is revoked in the console, and the same request is then refused with 401', async () => {
    const listed = adaPage.getByRole('listitem', { name: 'Token integration' });
    await listed.getByRole('button', { name: 'Revoke the token integration' }).click();
    await listed.getByRole('alertdialog').getByRole('button', { name: 'Yes, revoke' }).click();
    await listed.locator('.badge').filter({ hasText: /^Revoked$/ }).waitFor();
    await expect(listed.getByRole('button', { name: /Revoke/ }).count()).resolves.toBe(0);
    await withToken('get', '/api/admin/v1/rooms').expect(401);
  });

  it('disables an account in the console, and its sign-in then shows why it is refused', async () => {
    await adaPage.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Users' }).click();
    await adaPage.getByLabel('Username starts with').fill('cy');
    await adaPage.getByRole('button', { name: 'Search' }).click();
    await adaPage.getByRole('list', { name: 'Users' }).getByRole('button', { name: /^cyd/ }).click();
    const detail = adaPage.getByRole('region', { name: 'cyd' });
    await detail.getByRole('button', { name: 'Disable account' }).click();
    await detail.getByRole('button', { name: 'Yes, disable' }).click();
    await detail.getByText('The account is disabled').waitFor();

    const cydPage = await watchedPage(browser, incidents, contexts);
    await cydPage.goto(`${server.origin}/sign-in`);
    await cydPage.getByLabel('Username').fill(cyd.username);
    await cydPage.getByLabel('Password').fill(cyd.password);
    await cydPage.getByRole('button', { name: 'Sign in' }).click();
    await cydPage.getByRole('alert').filter({ hasText: 'This account has been disabled by an administrator' }).waitFor({ timeout: 30_000 });
  });

  it('deletes a room on a phone-size screen, confirmed, showing the job until it is done', async () => {
    await adaPage.setViewportSize({ width: 390, height: 844 });
    await adaPage.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Rooms' }).click();
    await adaPage.getByLabel('Room code or name').fill(code);
    await adaPage.getByRole('button', { name: 'Search' }).click();
    await adaPage.getByRole('list', { name: 'Rooms' }).getByRole('button', { name: new RegExp(code) }).click();
    const detail = adaPage.getByRole('region', { name: `Operations ${code}` });
    await detail.getByRole('button', { name: 'Delete room' }).click();
    await shot(adaPage, 'admin-delete-confirm-phone');
    await detail.getByRole('button', { name: 'Yes, delete the room' }).click();
    await adaPage.getByRole('status').filter({ hasText: `Room ${code} is deleted` }).waitFor({ timeout: 30_000 });
    await expect(adaPage.getByRole('list', { name: 'Rooms' }).getByRole('button', { name: new RegExp(code) }).count()).resolves.toBe(0);
    await expect(sql(server, 'SELECT 1 FROM rooms WHERE code = $1', [code])).resolves.toEqual([]);
  });

  it('broke no CSP rule, opened no browser dialog, and logged only the refusals it caused', () => {
    expect(incidents.violations).toEqual([]);
    expect(incidents.dialogs).toEqual([]);
    expect(incidents.errors.filter((e) => !/status of (401|403)/.test(e))).toEqual([]);
  });
});

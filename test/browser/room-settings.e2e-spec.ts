import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type Account, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { encodingsOf, launchChromium, recordRequests } from '../support/browser.js';
import { askToJoin, createRoom, joinRequest, joinRoom, type PageIncidents, signInPage, watchedPage } from '../support/chat-ui.js';
import { sql } from '../support/db.js';
import { ServerProcess } from '../support/server.js';

/**
 * The owner's room settings in chromium: one click copies the room code, and the click that creates an
 * invite link copies it; the owner renames the room and changes its member limit (refused below the
 * members, with nothing changed) and every member sees the new name at once; the owner sets, changes
 * and removes the room password, which never leaves a browser: the new one lets a joiner in without
 * anyone clicking, the old one does not, and without one a code alone waits for a member again.
 */
const FIRST_PASSWORD = 'Eleven pipers piping 11';
const SECOND_PASSWORD = 'Twelve drummers drumming 12';

let server: ServerProcess;
let browser: Browser;
const contexts: BrowserContext[] = [];
const incidents: PageIncidents = { violations: [], dialogs: [], errors: [] };
/** Every request of every page: neither password may appear in one. */
const sent: string[] = [];
let ann: Account;
let ben: Account;
let cat: Account;
let dan: Account;
let annPage: Page;
let benPage: Page;
let code: string;

async function page(account: Account): Promise<Page> {
  const p = await watchedPage(browser, incidents, contexts);
  recordRequests(p.context(), sent);
  await signInPage(p, server, account);
  return p;
}

const stored = async () => (await sql<{ name: string; max_members: number; password_hash: string | null }>(server, 'SELECT name, max_members, password_hash FROM rooms WHERE code = $1', [code]))[0]!;
const settingsDialog = () => annPage.getByRole('dialog', { name: 'Room settings' });
const clipboard = (p: Page) => p.evaluate(() => navigator.clipboard.readText());

beforeAll(async () => {
  [server, browser, ann, ben, cat, dan] = await Promise.all([
    ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000' } }),
    launchChromium(),
    newAccount('ann'),
    newAccount('ben'),
    newAccount('cat'),
    newAccount('dan'),
  ]);
  for (const account of [ann, ben, cat, dan]) await registeredClient(server, account);
  [annPage, benPage] = await Promise.all([page(ann), page(ben)]);
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await server?.stop();
});

describe('room settings in chromium', () => {
  it('copies the room code in one click, and an invite link in the click that creates it', async () => {
    code = await createRoom(annPage, 'Settings');
    await annPage.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
    const header = annPage.locator('header.room-header');
    await header.getByRole('button', { name: 'Copy room code' }).click();
    await header.getByRole('status').filter({ hasText: 'Copied' }).waitFor();
    await expect(clipboard(annPage)).resolves.toBe(code);

    await header.getByRole('button', { name: 'Invite', exact: true }).click();
    const form = annPage.getByRole('form', { name: 'Create an invite link' });
    await form.getByRole('button', { name: 'Create invite link' }).click();
    const link = await form.getByLabel('Invite link', { exact: true }).inputValue({ timeout: 30_000 });
    expect(link).toMatch(new RegExp(`^${server.origin}/join/${code}#`));
    await form.getByText('Copied.').waitFor();
    await expect(clipboard(annPage)).resolves.toBe(link);

    // A member gets the Copy button too, and no settings.
    await joinRoom(benPage, code, 'Settings', annPage);
    await benPage.locator('header.room-header').getByRole('button', { name: 'Copy room code' }).waitFor();
    await expect(benPage.getByRole('button', { name: 'Room settings' }).count()).resolves.toBe(0);
  }, 120_000);

  it('renames the room and changes its limit; refuses an empty name and a limit below the members, changing nothing; every member sees the new name at once', async () => {
    await annPage.getByRole('button', { name: 'Room settings' }).click();
    const dialog = settingsDialog();
    const form = dialog.getByRole('form', { name: 'Name and member limit' });
    await expect(form.getByLabel('Room name').inputValue()).resolves.toBe('Settings');
    await expect(form.getByLabel(/^Member limit/).inputValue()).resolves.toBe('1000');

    await form.getByLabel('Room name').fill('   ');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('alert').filter({ hasText: 'The room name must not be empty' }).waitFor();
    await form.getByLabel('Room name').fill('Design crew');
    await form.getByLabel(/^Member limit/).fill('1');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('alert').filter({ hasText: 'The room has 2 members: the member limit cannot be below that' }).waitFor();
    expect(await stored()).toMatchObject({ name: 'Settings', max_members: 1000 });
    await expect(benPage.getByRole('heading', { level: 1, name: 'Settings' }).count()).resolves.toBe(1);

    await form.getByLabel(/^Member limit/).fill('5');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved: every member sees it now.' }).waitFor();
    await expect(form.getByRole('alert').count()).resolves.toBe(0);
    expect(await stored()).toMatchObject({ name: 'Design crew', max_members: 5 });
    // Live, without a reload: ben's header and room list, and ann's own.
    await benPage.getByRole('heading', { level: 1, name: 'Design crew' }).waitFor({ timeout: 10_000 });
    await benPage.locator('nav[aria-label="Rooms"]').getByRole('link', { name: /Design crew/ }).waitFor();
    await annPage.getByRole('heading', { level: 1, name: 'Design crew' }).waitFor();
  }, 60_000);

  it('sets and changes the password (the old one no longer opens the room, the new one admits without a click) and removes it (a code alone waits again)', async () => {
    const dialog = settingsDialog();
    const form = dialog.getByRole('form', { name: 'Password' });
    await form.getByLabel('New room password').fill(FIRST_PASSWORD);
    await form.getByRole('button', { name: 'Set password' }).click();
    await form.getByRole('status').filter({ hasText: 'The room password is set' }).waitFor({ timeout: 30_000 });
    const firstHash = (await stored()).password_hash;
    expect(firstHash).not.toBeNull();

    await form.getByLabel('New room password').fill(SECOND_PASSWORD);
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByRole('status').filter({ hasText: 'The password is changed' }).waitFor({ timeout: 30_000 });
    expect((await stored()).password_hash).not.toBe(firstHash);
    await dialog.getByRole('button', { name: 'Close' }).click();

    const catPage = await page(cat);
    const join = catPage.getByRole('form', { name: 'Join a room' });
    await join.getByRole('textbox', { name: 'Room code' }).fill(code);
    // The code alone is answered as an unknown code would be, and the form asks for the password.
    await join.getByRole('button', { name: 'Join', exact: true }).click();
    await catPage.getByRole('alert').filter({ hasText: `No room with code ${code}` }).waitFor();
    await join.getByLabel('Room password').fill(FIRST_PASSWORD);
    await join.getByRole('button', { name: 'Join', exact: true }).click();
    await catPage.getByRole('alert').filter({ hasText: `No room with code ${code}, or the password is wrong` }).waitFor();
    await join.getByLabel('Room password').fill(SECOND_PASSWORD);
    await join.getByRole('button', { name: 'Join', exact: true }).click();
    await catPage.getByRole('heading', { level: 1, name: 'Design crew' }).waitFor({ timeout: 60_000 });
    await expect(annPage.getByRole('group', { name: 'cat asks to join' }).count()).resolves.toBe(0);

    await annPage.getByRole('button', { name: 'Room settings' }).click();
    await form.getByRole('button', { name: 'Remove password' }).click();
    await form.getByRole('alertdialog').getByRole('button', { name: 'Yes, remove it' }).click();
    await form.getByRole('status').filter({ hasText: 'The password is removed' }).waitFor();
    await form.getByRole('button', { name: 'Set password' }).waitFor();
    expect((await stored()).password_hash).toBeNull();
    await dialog.getByRole('button', { name: 'Close' }).click();

    const danPage = await page(dan);
    await askToJoin(danPage, code);
    await joinRequest(annPage, code, 'dan');

    for (const secret of [FIRST_PASSWORD, SECOND_PASSWORD]) {
      for (const encoded of encodingsOf(secret)) expect(sent.filter((r) => r.includes(encoded))).toEqual([]);
    }
    expect(incidents.violations).toEqual([]);
    expect(incidents.dialogs).toEqual([]);
    // The wrong password's 404 is the only thing logged.
    expect(incidents.errors.filter((e) => !/status of 404/.test(e))).toEqual([]);
  }, 180_000);
});

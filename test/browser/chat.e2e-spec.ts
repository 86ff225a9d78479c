import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type Account, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { launchChromium } from '../support/browser.js';
import { createRoom, joinRoom, messages, type PageIncidents, say, signInPage, watchedPage } from '../support/chat-ui.js';
import { sql } from '../support/db.js';
import { REPO_ROOT, ServerProcess } from '../support/server.js';

let server: ServerProcess;
let browser: Browser;
const contexts: BrowserContext[] = [];
const incidents: PageIncidents = { violations: [], dialogs: [], errors: [] };
let ann: Account;
let ben: Account;
let annPage: Page;
let benPage: Page;
let code: string;

/** Payloads that must come out as text or inert markup, never as script, handler or live HTML. */
const XSS_PAYLOADS = [
  '<script>window.__xss = 1</script>',
  '<img src=x onerror="window.__xss = 2">',
  '[click me](javascript:window.__xss=3)',
  '<a href="javascript:window.__xss=4">link</a>',
  '<svg onload="window.__xss=5"></svg>',
  '<iframe src="javascript:window.__xss=6"></iframe>',
  '![x](https://tracker.invalid/pixel.png)',
  '<details open ontoggle="window.__xss=7">x</details>',
  '`<b>code</b>` and <b onmouseover="window.__xss=8">bold</b>',
];

beforeAll(async () => {
  [server, browser, ann, ben] = await Promise.all([
    ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', CHAT_RATE_LIMIT: 'steady' } }),
    launchChromium(),
    newAccount('ann'),
    newAccount('ben'),
  ]);
  await registeredClient(server, ann);
  await registeredClient(server, ben);
  [annPage, benPage] = await Promise.all([watchedPage(browser, incidents, contexts), watchedPage(browser, incidents, contexts)]);
  await Promise.all([signInPage(annPage, server, ann), signInPage(benPage, server, ben)]);
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await server?.stop();
});

describe('chat in chromium: two people, one encrypted room', () => {
  it('creates a room that shows its code, and the other person joins it by code', async () => {
    await annPage.getByRole('button', { name: 'Create room' }).click();
    await annPage.getByLabel('Room name').fill('Team');
    await annPage.getByRole('button', { name: 'Create', exact: true }).click();
    code = (await annPage.getByLabel('New room code').textContent())!.trim();
    expect(code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}$/);
    await annPage.getByRole('button', { name: 'Open Team' }).click();
    await annPage.waitForURL(`**/rooms/${code}`);
    await annPage.getByRole('heading', { level: 1, name: 'Team' }).waitFor();

    await benPage.getByLabel('Room code').fill(code.toLowerCase());
    await benPage.getByRole('button', { name: 'Join', exact: true }).click();
    await benPage.waitForURL(`**/rooms/${code}`);
    // With the code alone a member lets ben in.
    await benPage.getByRole('status').filter({ hasText: 'Waiting for a member to let you in' }).waitFor();
    await annPage.getByRole('group', { name: 'ben asks to join' }).getByRole('button', { name: /^Admit/ }).click();
    await benPage.getByRole('heading', { level: 1, name: 'Team' }).waitFor({ timeout: 30_000 });
    await expect(benPage.locator('nav[aria-label="Rooms"]').textContent()).resolves.toContain(code);
  });

  it('chats both ways with markdown and an emoji from the picker, end to end encrypted', async () => {
    await say(annPage, 'Hello **ben**, this is _markdown_');
    const fromAnn = messages(benPage).filter({ hasText: 'this is markdown' });
    await fromAnn.locator('strong', { hasText: 'ben' }).waitFor({ timeout: 30_000 });
    await expect(fromAnn.locator('em').textContent()).resolves.toBe('markdown');

    const box = benPage.getByLabel('Message', { exact: true });
    await box.fill('Hi ann ');
    await benPage.getByRole('button', { name: 'Insert emoji' }).click();
    const firstEmoji = benPage.locator('#emoji-picker button.emoji-mart-emoji >> visible=true').first();
    await firstEmoji.waitFor();
    const emoji = (await firstEmoji.textContent())!.trim();
    await firstEmoji.click();
    await expect(box.inputValue()).resolves.toBe(`Hi ann ${emoji}`);
    await expect(benPage.locator('#composer-count').textContent()).resolves.toBe(`${[...`Hi ann ${emoji}`].length}/150`);
    await box.press('Enter');
    await messages(annPage).filter({ hasText: `Hi ann ${emoji}` }).waitFor();

    // Only ciphertext reached the server.
    const stored = await sql<{ ct: string }>(server, 'SELECT ct FROM messages');
    expect(stored.length).toBeGreaterThanOrEqual(2);
    for (const row of stored) expect(JSON.stringify(row)).not.toContain('markdown');
  });

  it('shows the room roster and who is typing', async () => {
    await annPage.locator('[aria-label="Room roster"] li[data-user="ben"] .presence.here').waitFor();
    await benPage.locator('[aria-label="Room roster"] li[data-user="ann"] .presence.here').waitFor();
    await benPage.getByLabel('Message', { exact: true }).pressSequentially('thinking about it');
    await annPage.getByText('ben is typing…').waitFor();
    mkdirSync(join(REPO_ROOT, 'test-output'), { recursive: true });
    await annPage.screenshot({ path: join(REPO_ROOT, 'test-output/chat-view.png') });
    await benPage.getByLabel('Message', { exact: true }).press('Enter');
    await annPage.getByText('ben is typing…').waitFor({ state: 'detached' });
  });

  it('lists who is online, counts unread messages of other rooms, and switches rooms without a page reload', async () => {
    await annPage.getByRole('list', { name: 'Online now' }).getByText('ben').waitFor();
    await benPage.getByRole('list', { name: 'Online now' }).getByText('ann').waitFor();
    const side = await createRoom(benPage, 'Side');
    await joinRoom(annPage, side, 'Side', benPage);
    await annPage.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    const annRooms = annPage.locator('nav[aria-label="Rooms"]');
    await annRooms.getByRole('link', { name: /Team/ }).click();
    await annPage.getByRole('heading', { level: 1, name: 'Team' }).waitFor();
    await messages(annPage).filter({ hasText: 'thinking about it' }).waitFor();
    await say(benPage, 'over here in the side room');
    await annRooms.getByRole('link', { name: /Side/ }).getByLabel('1 unread').waitFor();
    await annRooms.getByRole('link', { name: /Side/ }).click();
    await messages(annPage).filter({ hasText: 'over here in the side room' }).waitFor();
    await annRooms.getByRole('link', { name: /Side/ }).getByLabel('1 unread').waitFor({ state: 'detached' });
    await annRooms.getByRole('link', { name: /Team/ }).click();
    await annPage.getByRole('heading', { level: 1, name: 'Team' }).waitFor();
    // Every switch happened inside the same page: no reload.
    expect(await annPage.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    await benPage.locator('nav[aria-label="Rooms"]').getByRole('link', { name: /Team/ }).click();
    await benPage.getByRole('heading', { level: 1, name: 'Team' }).waitFor();

    // Typing in one room, then switching: the first room hears at once that ben stopped, and the
    // draft stays with its room instead of following ben into the other one.
    const benBox = benPage.getByLabel('Message', { exact: true });
    await benBox.pressSequentially('half a thought');
    await annPage.getByText('ben is typing…').waitFor();
    await benPage.locator('nav[aria-label="Rooms"]').getByRole('link', { name: /Side/ }).click();
    await benPage.getByRole('heading', { level: 1, name: 'Side' }).waitFor();
    await annPage.getByText('ben is typing…').waitFor({ state: 'detached', timeout: 2_000 });
    await expect(benBox.inputValue()).resolves.toBe('');
    await benPage.locator('nav[aria-label="Rooms"]').getByRole('link', { name: /Team/ }).click();
    await benPage.getByRole('heading', { level: 1, name: 'Team' }).waitFor();
    await expect(benBox.inputValue()).resolves.toBe('half a thought');
    await benBox.fill('');
  });

  it('warns with a countdown when sending faster than the rate limit, then sends what was held', async () => {
    const box = annPage.getByLabel('Message', { exact: true });
    for (const text of ['quick one', 'quick two', 'quick three']) {
      await box.fill(text);
      await box.press('Enter');
    }
    await annPage.locator('.rate-limit').filter({ hasText: /Please wait \d+ seconds? before sending/ }).waitFor();
    await messages(benPage).filter({ hasText: 'quick three' }).waitFor({ timeout: 20_000 });
  });

  it('renders an XSS payload list inert: no script runs, no dialog, no handler, no live HTML', async () => {
    for (const payload of XSS_PAYLOADS) await say(annPage, payload);
    await messages(benPage).filter({ hasText: 'and' }).filter({ hasText: 'bold' }).waitFor({ timeout: 30_000 });
    for (const page of [annPage, benPage]) {
      const list = page.locator('ol.messages');
      await expect(list.locator('script, iframe, svg, img, details, object, embed').count()).resolves.toBe(0);
      await expect(list.locator('[onerror], [onload], [ontoggle], [onmouseover]').count()).resolves.toBe(0);
      await expect(list.locator('a[href^="javascript"], a[href^="unsafe"]').count()).resolves.toBe(0);
      await expect(page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).resolves.toBeUndefined();
      // Raw HTML is shown as the text it is.
      await expect(list.textContent()).resolves.toContain('<script>window.__xss = 1</script>');
    }
    await benPage.locator('ol.messages b, ol.messages code', { hasText: 'bold' }).count().then((n) => expect(n).toBe(0));
    expect(incidents.dialogs).toEqual([]);
    expect(incidents.violations).toEqual([]);
  }, 120_000);

  it('shows the history again after a reload', async () => {
    await benPage.reload();
    await benPage.getByRole('heading', { level: 1, name: 'Team' }).waitFor();
    await messages(benPage).filter({ hasText: 'this is markdown' }).locator('strong').waitFor({ timeout: 30_000 });
    await messages(benPage).filter({ hasText: 'quick three' }).waitFor();
  });

  it('shows a safety number of 12 groups with a QR code, and a verified badge once marked', async () => {
    await annPage.getByRole('button', { name: 'Safety number with ben' }).click();
    const groups = annPage.locator('[aria-label="Safety number"] span');
    await groups.nth(11).waitFor();
    await expect(groups.count()).resolves.toBe(12);
    const annDigits = (await groups.allTextContents()).join(' ');
    expect(annDigits).toMatch(/^(\d{5} ){11}\d{5}$/);
    await annPage.getByRole('button', { name: 'Mark as verified' }).click();
    await annPage.getByText('You marked ben as verified').waitFor();
    await annPage.getByRole('button', { name: 'Close' }).click();
    await messages(annPage).filter({ hasText: 'thinking about it' }).getByText('✔ verified').waitFor();

    await benPage.getByRole('button', { name: 'Safety number with ann' }).click();
    await benPage.locator('[aria-label="Safety number"] span').nth(11).waitFor();
    await expect((await benPage.locator('[aria-label="Safety number"] span').allTextContents()).join(' ')).toBe(annDigits);
    await benPage.getByRole('button', { name: 'Close' }).click();

  });

  it('takes the verification along to another browser (the contact book is sealed on the server)', async () => {
    const elsewhere = await watchedPage(browser, incidents, contexts); // fresh cookies and IndexedDB
    await signInPage(elsewhere, server, ann);
    await elsewhere.goto(`${server.origin}/rooms/${code}`);
    await messages(elsewhere).filter({ hasText: 'thinking about it' }).getByText('✔ verified').waitFor({ timeout: 30_000 });
    const [book] = await sql<{ user_id: string; ct: string }>(server, `SELECT user_id, ct FROM contact_books WHERE user_id = $1`, [ann.userId]);
    expect(book!.ct).not.toContain(ben.userId);
    expect(Buffer.from(book!.ct, 'base64').toString('latin1')).not.toContain(ben.userId);
    await elsewhere.context().close();
  });

  it('lets one person leave to the lobby while the other keeps chatting under the next key epoch', async () => {
    await benPage.getByRole('button', { name: 'Leave room' }).click();
    await benPage.getByRole('button', { name: 'Yes, leave' }).click();
    await benPage.waitForURL('**/home');
    await expect(benPage.locator('nav[aria-label="Rooms"]').textContent()).resolves.not.toContain(code);

    // The rotation is made by ann's browser on key:rotate; wait until the server has the new epoch.
    for (let i = 0; i < 100; i++) {
      const [room] = await sql<{ current_epoch: number }>(server, 'SELECT current_epoch FROM rooms WHERE code = $1', [code]);
      if (room?.current_epoch === 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await say(annPage, 'still here after ben left');
    const [row] = await sql<{ epoch: number; current_epoch: number }>(
      server,
      `SELECT m.epoch, r.current_epoch FROM messages m JOIN rooms r ON r.id = m.room_id WHERE r.code = $1 ORDER BY m.seq DESC LIMIT 1`,
      [code],
    );
    expect({ row, errors: incidents.errors }).toEqual({ row: { epoch: 2, current_epoch: 2 }, errors: [] });
    await messages(annPage).filter({ hasText: 'still here after ben left' }).and(annPage.locator('[data-state="ok"]')).waitFor();
  });

  it('joins a room with a password: the code alone is answered as an unknown code would be, then the password field opens it', async () => {
    const cyd = await newAccount('cyd');
    await registeredClient(server, cyd);
    const ownerPage = await watchedPage(browser, incidents, contexts);
    await signInPage(ownerPage, server, cyd);
    const locked = await createRoom(ownerPage, 'Locked', { password: 'open sesame' });
    // A page of its own: the console reports the refused join (a 404), which the other pages must not.
    const page = await watchedPage(browser, { violations: [], dialogs: [], errors: [] }, contexts);
    await signInPage(page, server, ben);
    await page.getByRole('textbox', { name: 'Room code' }).fill(locked);
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: `No room with code ${locked}, or it needs a password` }).waitFor();
    await page.getByRole('form', { name: 'Join a room' }).getByLabel('Room password').fill('open sesame');
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    await page.waitForURL(`**/rooms/${locked}`);
    await page.getByRole('heading', { level: 1, name: 'Locked' }).waitFor();
    await page.context().close();
  });

  it('broke no CSP rule and logged no error on any page', () => {
    expect(incidents.violations).toEqual([]);
    expect(incidents.dialogs).toEqual([]);
    expect(incidents.errors).toEqual([]);
  });
});

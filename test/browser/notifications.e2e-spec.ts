import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type Account, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { launchChromium } from '../support/browser.js';
import { createRoom, joinRoom, messages, type PageIncidents, say, signInPage, watchedPage } from '../support/chat-ui.js';
import { REPO_ROOT, ServerProcess } from '../support/server.js';

/** What a page passed to `new Notification(title, options)`. */
interface Shown {
  title: string;
  body: string;
  tag: string;
  requireInteraction: boolean;
}

let server: ServerProcess;
let browser: Browser;
const contexts: BrowserContext[] = [];
const incidents: PageIncidents = { violations: [], dialogs: [], errors: [] };
let ann: Account;
let ben: Account;
let annPage: Page;
let benPage: Page;
let team: string;
let side: string;

/**
 * Headless chromium shows no notification: every `new Notification` of the page is recorded (and
 * still made by the real constructor, so the permission and the options are checked as usual).
 */
function recordNotifications(): void {
  const Native = window.Notification;
  const shown: Array<Shown & { instance: Notification }> = [];
  (window as unknown as { shown: typeof shown }).shown = shown;
  class Recorded extends Native {
    constructor(title: string, options: NotificationOptions = {}) {
      super(title, options);
      shown.push({ title, body: options.body ?? '', tag: options.tag ?? '', requireInteraction: !!options.requireInteraction, instance: this });
    }
  }
  Object.defineProperty(Recorded, 'permission', { get: () => Native.permission });
  Object.defineProperty(Recorded, 'requestPermission', { value: (...args: Parameters<typeof Native.requestPermission>) => Native.requestPermission(...args) });
  window.Notification = Recorded;
}

/** The notifications ben's page showed so far. */
const shownTo = (page: Page): Promise<Shown[]> =>
  page.evaluate(() => (window as unknown as { shown: Shown[] }).shown.map(({ title, body, tag, requireInteraction }) => ({ title, body, tag, requireInteraction })));

/** Waits until the page has shown `count` notifications in all, and returns them. */
async function waitForShown(page: Page, count: number): Promise<Shown[]> {
  await page.waitForFunction((n) => (window as unknown as { shown: unknown[] }).shown.length >= n, count, { timeout: 20_000 });
  return shownTo(page);
}

/**
 * Headless chromium keeps every tab visible (bringing another to front or minimising the window does
 * not change it): the tab is hidden as the browser would hide it, through the Page Visibility API.
 */
async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((hide) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hide ? 'hidden' : 'visible') });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => hide });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

const sidebar = (page: Page) => page.locator('nav[aria-label="Rooms"]');

async function openRoom(page: Page, name: string): Promise<void> {
  await sidebar(page).getByRole('link', { name: new RegExp(name) }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

async function openAccount(page: Page): Promise<void> {
  await page.locator('header.topbar .me').click();
  await page.getByRole('heading', { level: 2, name: 'Notifications' }).waitFor();
}

const title = (page: Page, expected: string) => page.waitForFunction((t) => document.title === t, expected, { timeout: 20_000 });

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
  await benPage.context().grantPermissions(['notifications'], { origin: server.origin });
  await benPage.addInitScript(recordNotifications);
  await Promise.all([signInPage(annPage, server, ann), signInPage(benPage, server, ben)]);
  team = await createRoom(annPage, 'Team');
  await joinRoom(benPage, team, 'Team', annPage);
  side = await createRoom(annPage, 'Side');
  await joinRoom(benPage, side, 'Side', annPage);
}, 180_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await server?.stop();
});

describe('notifications in chromium: two people, two rooms', () => {
  it('shows the unread count and the room in the tab title, and no notification before opting in', async () => {
    await openRoom(benPage, 'Team');
    await title(benPage, 'Team · Conclave');
    await say(annPage, 'one for the title');
    await say(annPage, 'and another');
    await sidebar(benPage).getByRole('link', { name: /Side/ }).getByLabel('2 unread').waitFor();
    await title(benPage, '(2) Team · Conclave');
    await openRoom(benPage, 'Side');
    await title(benPage, 'Side · Conclave');
    // The room on screen, while the tab is hidden: counted until the tab is seen again.
    await setHidden(benPage, true);
    await say(annPage, 'while you were away');
    await title(benPage, '(1) Side · Conclave');
    await setHidden(benPage, false);
    await title(benPage, 'Side · Conclave');
    await openAccount(benPage);
    await title(benPage, 'Account · Conclave');
    await benPage.getByText('Desktop notifications are off in this browser.').waitFor();
    expect(await shownTo(benPage)).toEqual([]);
  });

  it('opts in, then notifies a message of another room with its decrypted text; the click opens that room', async () => {
    await benPage.getByRole('button', { name: 'Turn on desktop notifications' }).click();
    await benPage.getByText('Desktop notifications are on in this browser.').waitFor();
    await expect(benPage.getByRole('radio', { name: /Who wrote and the message text/ }).isChecked()).resolves.toBe(true);
    await openRoom(benPage, 'Team');
    await say(annPage, 'lunch at **noon**?');
    const [notice] = await waitForShown(benPage, 1);
    expect(notice).toEqual({ title: 'ann in Side', body: 'lunch at **noon**?', tag: `conclave-room-${side}`, requireInteraction: false });
    await benPage.evaluate(() => (window as unknown as { shown: Array<{ instance: Notification }> }).shown[0]!.instance.dispatchEvent(new Event('click')));
    await benPage.waitForURL(`**/rooms/${side}`);
    await messages(benPage).filter({ hasText: 'lunch at noon?' }).waitFor();
  });

  it('notifies the room on screen only while the tab is hidden, and never for one’s own messages', async () => {
    await say(annPage, 'seen at once');
    await messages(benPage).filter({ hasText: 'seen at once' }).waitFor();
    await setHidden(benPage, true);
    await say(annPage, 'while hidden');
    const shown = await waitForShown(benPage, 2);
    expect(shown.slice(1)).toEqual([expect.objectContaining({ title: 'ann in Side', body: 'while hidden' })]);
    await title(benPage, '(1) Side · Conclave');
    // Still hidden: ben's own message from another device reaches this tab too, and neither notifies nor counts.
    const benElsewhere = await watchedPage(browser, incidents, contexts);
    await signInPage(benElsewhere, server, ben);
    await openRoom(benElsewhere, 'Side');
    await say(benElsewhere, 'my own words');
    await messages(benPage).filter({ hasText: 'my own words' }).waitFor();
    await messages(annPage).filter({ hasText: 'my own words' }).waitFor();
    await say(annPage, 'and a reply');
    await waitForShown(benPage, 3);
    await title(benPage, '(2) Side · Conclave');
    expect((await shownTo(benPage)).map((n) => n.body)).toEqual(['lunch at **noon**?', 'while hidden', 'and a reply']);
    await setHidden(benPage, false);
    await title(benPage, 'Side · Conclave');
  });

  it('in the private mode shows only "New message in ROOM": no sender, no text', async () => {
    await openAccount(benPage);
    await benPage.getByRole('radio', { name: /Only “New message in ROOM”/ }).check();
    await openRoom(benPage, 'Team');
    await say(annPage, 'the secret plan');
    const shown = await waitForShown(benPage, 4);
    expect(shown[3]).toEqual({ title: 'New message in Side', body: '', tag: `conclave-room-${side}`, requireInteraction: false });
    expect(JSON.stringify(shown)).not.toContain('secret plan');
    // Kept in this browser: still private after a reload.
    await benPage.reload();
    await openAccount(benPage);
    await expect(benPage.getByRole('radio', { name: /Only “New message in ROOM”/ }).isChecked()).resolves.toBe(true);
    mkdirSync(join(REPO_ROOT, 'test-output'), { recursive: true });
    await benPage.locator('cv-notification-settings').screenshot({ path: join(REPO_ROOT, 'test-output/notification-settings.png') });
  });

  it('highlights a message that @mentions me and notifies it; with "only @mentions" nothing else notifies', async () => {
    await benPage.getByRole('radio', { name: /Who wrote and the message text/ }).check();
    await benPage.getByRole('radio', { name: /Only messages that @mention me/ }).check();
    await openRoom(benPage, 'Team');
    const before = (await shownTo(benPage)).length;
    await say(annPage, 'nothing for ben here');
    await say(annPage, 'not @benjamin either');
    await say(annPage, '@Ben can you look at this?');
    const shown = await waitForShown(benPage, before + 1);
    expect(shown.slice(before)).toEqual([{ title: 'ann mentioned you in Side', body: '@Ben can you look at this?', tag: '', requireInteraction: true }]);

    await openRoom(benPage, 'Side');
    const mention = messages(benPage).filter({ hasText: 'can you look at this?' });
    await mention.waitFor();
    await expect(mention.evaluate((li) => li.classList.contains('mentions-me'))).resolves.toBe(true);
    await expect(mention.evaluate((li) => getComputedStyle(li.querySelector('.meta')!, '::after').content)).resolves.toBe('"@ mentions you"');
    await expect(benPage.locator('ol.messages > li.mentions-me').count()).resolves.toBe(1);
    await benPage.screenshot({ path: join(REPO_ROOT, 'test-output/mention.png') });
    // The sender's own line is not highlighted.
    await expect(annPage.locator('ol.messages > li.mentions-me').count()).resolves.toBe(0);
    expect(await shownTo(benPage)).toHaveLength(before + 1);
  });

  it('left no CSP violation, dialog or console error', () => {
    expect(incidents).toEqual({ violations: [], dialogs: [], errors: [] });
  });
});

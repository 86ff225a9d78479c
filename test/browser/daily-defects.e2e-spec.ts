import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { type Account, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { launchChromium } from '../support/browser.js';
import { createRoom, joinRoom, messages, type PageIncidents, say, signInPage, watchedPage } from '../support/chat-ui.js';
import { ServerProcess } from '../support/server.js';

/**
 * The defects a new user's walkthrough found in the web chat (issue 15), each as a person meets it
 * in chromium: the emoji picker inside the composer's form, sign-up after a failure, the rate-limit
 * banner and held messages, verified marks on a second device, and a phone-size screen.
 */

let server: ServerProcess;
let browser: Browser;
const contexts: BrowserContext[] = [];
const incidents: PageIncidents = { violations: [], dialogs: [], errors: [] };
let ann: Account;
let ben: Account;
let annPage: Page;
let benPage: Page;
/** Room codes made along the way. */
const rooms: Record<string, string> = {};

const PASSWORD = 'Quiet otter sings at noon 7!';
/** A phone: small viewport, touch screen (pointer: coarse). */
const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true };

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
  rooms['Daily'] = await createRoom(annPage, 'Daily');
  await joinRoom(benPage, rooms['Daily'], 'Daily', annPage);
  rooms['Other'] = await createRoom(annPage, 'Other');
  await annPage.locator('nav[aria-label="Rooms"]').getByRole('link', { name: /Daily/ }).click();
  await annPage.getByRole('heading', { level: 1, name: 'Daily' }).waitFor();
}, 180_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await server?.stop();
});

const box = (page: Page) => page.getByLabel('Message', { exact: true });
const picker = (page: Page) => page.locator('#emoji-picker');
const pickerSearch = (page: Page) => page.locator('#emoji-picker input[type="search"]');
const openPicker = async (page: Page) => {
  await page.getByRole('button', { name: 'Insert emoji' }).click();
  await picker(page).locator('button.emoji-mart-emoji >> visible=true').first().waitFor();
};
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A context of its own with a watched page, signed in as `account`. */
async function pageOf(account: Account, options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, ...options });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (err) => incidents.errors.push(`pageerror: ${err.message}`));
  await signInPage(page, server, account);
  return page;
}

describe('the emoji picker inside the composer', () => {
  it('Enter in its search box picks the first match and sends nothing; with no match it does nothing and the picker stays usable', async () => {
    await box(annPage).fill('half done ');
    await openPicker(annPage);
    await pickerSearch(annPage).fill('grinning');
    const first = (await picker(annPage).locator('button.emoji-mart-emoji >> visible=true').first().textContent())!.trim();
    await pickerSearch(annPage).press('Enter');
    await picker(annPage).waitFor({ state: 'detached' });
    await expect(box(annPage).inputValue()).resolves.toBe(`half done ${first}`);
    await pause(1_000);
    await expect(messages(annPage).filter({ hasText: 'half done' }).count()).resolves.toBe(0);
    await expect(messages(benPage).filter({ hasText: 'half done' }).count()).resolves.toBe(0);

    // No match: Enter does nothing, the picker stays open and still picks.
    await openPicker(annPage);
    await pickerSearch(annPage).fill('zzzz no such emoji');
    await pickerSearch(annPage).press('Enter');
    await pause(500);
    await expect(picker(annPage).isVisible()).resolves.toBe(true);
    await expect(box(annPage).inputValue()).resolves.toBe(`half done ${first}`);
    await pickerSearch(annPage).fill('');
    await picker(annPage).locator('button.emoji-mart-emoji >> visible=true').first().click();
    await picker(annPage).waitFor({ state: 'detached' });
    await expect(messages(annPage).filter({ hasText: 'half done' }).count()).resolves.toBe(0);
    await box(annPage).fill('');
  });

  it('closes on a room switch (forgetting its search), on Escape in the message box and on a click outside', async () => {
    const nav = annPage.locator('nav[aria-label="Rooms"]');
    await openPicker(annPage);
    await pickerSearch(annPage).fill('cat');
    await nav.getByRole('link', { name: /Other/ }).click();
    await annPage.getByRole('heading', { level: 1, name: 'Other' }).waitFor();
    await picker(annPage).waitFor({ state: 'detached', timeout: 2_000 });
    await openPicker(annPage);
    await expect(pickerSearch(annPage).inputValue()).resolves.toBe('');

    await box(annPage).focus();
    await box(annPage).press('Escape');
    await picker(annPage).waitFor({ state: 'detached', timeout: 2_000 });

    await openPicker(annPage);
    await annPage.getByRole('heading', { level: 1, name: 'Other' }).click();
    await picker(annPage).waitFor({ state: 'detached', timeout: 2_000 });

    // Clicks inside the picker (its search field, a category) keep it open.
    await openPicker(annPage);
    await pickerSearch(annPage).click();
    await picker(annPage).locator('.emoji-mart-anchor').nth(2).click();
    await expect(picker(annPage).isVisible()).resolves.toBe(true);
    await annPage.keyboard.press('Escape');
    await picker(annPage).waitFor({ state: 'detached', timeout: 2_000 });
    await nav.getByRole('link', { name: /Daily/ }).click();
    await annPage.getByRole('heading', { level: 1, name: 'Daily' }).waitFor();
  });

  it('on a phone, opening it leaves the focus where it was (no on-screen keyboard over the picker)', async () => {
    const phone = await pageOf(ann, PHONE);
    await phone.goto(`${server.origin}/rooms/${rooms['Daily']}`);
    await phone.getByRole('heading', { level: 1, name: 'Daily' }).waitFor();
    await openPicker(phone);
    await expect(phone.evaluate(() => document.activeElement?.matches('#emoji-picker input') ?? false)).resolves.toBe(false);
    await phone.context().close();
  });
});

describe('sign-up after a failure', () => {
  async function fillSignUp(page: Page, username: string): Promise<void> {
    await page.goto(`${server.origin}/sign-up`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
  }
  async function solveCaptcha(page: Page): Promise<void> {
    await page.locator('altcha-widget').getByText("I'm not a robot").click();
    await page.locator('altcha-widget .altcha[data-state="verified"]').waitFor({ timeout: 30_000 });
  }
  const alerts = (page: Page) => page.locator('main [role="alert"]');

  it('drops "Complete the captcha first" once the captcha is solved, and offers a fresh, unsolved captcha after a refusal', async () => {
    const page = await watchedPage(browser, { violations: [], dialogs: [], errors: [] }, contexts);
    await fillSignUp(page, 'ann'); // taken
    await page.getByRole('button', { name: 'Create account' }).click();
    await alerts(page).filter({ hasText: 'Complete the captcha first' }).waitFor();
    await solveCaptcha(page);
    await alerts(page).filter({ hasText: 'Complete the captcha first' }).waitFor({ state: 'detached', timeout: 2_000 });

    await page.getByRole('button', { name: 'Create account' }).click();
    await alerts(page).filter({ hasText: 'The username "ann" is taken' }).waitFor({ timeout: 60_000 });
    // The solution counted once: the widget asks again instead of saying "Verified" with nothing behind it.
    await page.locator('altcha-widget .altcha[data-state="unverified"]').waitFor();
    await page.getByLabel('Username').fill('flo');
    await solveCaptcha(page);
    await expect(alerts(page).filter({ hasText: 'Complete the captcha first' }).count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/home', { timeout: 60_000 });
    await page.context().close();
  }, 180_000);

  it('when the answer to "create my account" is lost, finds the account (the same password opens it) and signs in, at once or on the next try', async () => {
    const page = await watchedPage(browser, { violations: [], dialogs: [], errors: [] }, contexts);
    await fillSignUp(page, 'gil');
    await solveCaptcha(page);
    // The server creates the account; the answer never reaches the browser.
    const loseAnswer = async (route: Route) => {
      await route.fetch();
      await route.abort('connectionreset');
    };
    await page.route('**/api/auth/register', loseAnswer, { times: 1 });
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/home', { timeout: 60_000 });
    await page.getByRole('heading', { level: 1, name: 'Welcome, gil' }).waitFor();

    // Both answers lost (the connection is down a while): the next try is told "taken", which the same password opens.
    const other = await watchedPage(browser, { violations: [], dialogs: [], errors: [] }, contexts);
    await fillSignUp(other, 'ida');
    await solveCaptcha(other);
    await other.route('**/api/auth/register', loseAnswer, { times: 1 });
    await other.route('**/api/auth/login', (route) => route.abort('connectionreset'), { times: 1 });
    await other.getByRole('button', { name: 'Create account' }).click();
    await alerts(other).filter({ hasText: 'Cannot reach the server' }).waitFor({ timeout: 60_000 });
    await solveCaptcha(other);
    await other.getByRole('button', { name: 'Create account' }).click();
    await other.waitForURL('**/home', { timeout: 60_000 });
    await other.getByRole('heading', { level: 1, name: 'Welcome, ida' }).waitFor();
    await page.context().close();
    await other.context().close();
  }, 180_000);

  it('says so when the account was created but signing in failed, and points to sign-in', async () => {
    const page = await watchedPage(browser, { violations: [], dialogs: [], errors: [] }, contexts);
    await fillSignUp(page, 'hal');
    await solveCaptcha(page);
    await page.route('**/api/auth/login', (route) => route.abort('connectionreset'), { times: 1 });
    await page.getByRole('button', { name: 'Create account' }).click();
    const note = alerts(page).filter({ hasText: 'Your account hal was created' });
    await note.waitFor({ timeout: 60_000 });
    await expect(alerts(page).filter({ hasText: 'Complete the captcha first' }).count()).resolves.toBe(0);
    await note.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL('**/sign-in');
    await page.getByLabel('Username').fill('hal');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/home', { timeout: 60_000 });
    await page.context().close();
  }, 120_000);
});

describe('the rate limit', () => {
  it('counts down with one number, stays up for the whole burst, and keeps held messages in order while they drain', async () => {
    // Every banner text, every show/hide, and the order of ann's burst lines, as the page changes.
    await annPage.evaluate(() => {
      const record = { texts: [] as string[], shown: [] as boolean[], orders: [] as string[] };
      (window as unknown as { __rate: typeof record }).__rate = record;
      const look = () => {
        const banner = document.querySelector('.rate-limit');
        const shown = !!banner;
        if (record.shown.at(-1) !== shown) record.shown.push(shown);
        const text = (banner?.textContent ?? '').replace(/\s+/g, ' ').trim();
        if (text && record.texts.at(-1) !== text) record.texts.push(text);
        const order = [...document.querySelectorAll('ol.messages > li')].map((li) => /burst (\d)/.exec(li.textContent ?? '')?.[1]).filter(Boolean).join('');
        if (order && record.orders.at(-1) !== order) record.orders.push(order);
      };
      new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    for (const n of [1, 2, 3, 4, 5]) {
      await box(annPage).fill(`burst ${n}`);
      await box(annPage).press('Enter');
    }
    await annPage.locator('.rate-limit').waitFor();
    await messages(benPage).filter({ hasText: 'burst 5' }).waitFor({ timeout: 30_000 });
    await annPage.locator('ol.messages > li.mine[data-state="ok"]', { hasText: 'burst 5' }).waitFor();
    await annPage.locator('.rate-limit').waitFor({ state: 'detached', timeout: 5_000 });
    const record = await annPage.evaluate(() => (window as unknown as { __rate: { texts: string[]; shown: boolean[]; orders: string[] } }).__rate);

    // At most one number per text, never above the server's (steady: 1 second).
    for (const text of record.texts) {
      const numbers = [...new Set(text.match(/\d+/g))].map(Number);
      expect({ text, agree: numbers.length <= 1 && numbers.every((n) => n <= 1) }).toEqual({ text, agree: true });
    }
    expect(record.texts.some((t) => /Please wait 1 second\b/.test(t))).toBe(true);
    // Shown once, hidden once: no flicker while the burst drains.
    expect(record.shown).toEqual([false, true, false]);
    // Every moment the list had the burst in the order it was written (the order the server stores).
    for (const order of record.orders) expect(order).toBe('12345'.slice(0, order.length));
    expect(record.orders.at(-1)).toBe('12345');
    await expect(messages(benPage).allTextContents().then((all) => all.filter((t) => t.includes('burst')).map((t) => /burst (\d)/.exec(t)![1]).join(''))).resolves.toBe('12345');
  });
});

describe('a phone-size screen and small things', () => {
  let phone: Page;
  beforeAll(async () => {
    phone = await pageOf(ann, PHONE);
    await phone.goto(`${server.origin}/rooms/${rooms['Daily']}`);
    await phone.getByRole('heading', { level: 1, name: 'Daily' }).waitFor();
  });

  it('keeps "Sign out" on one line and styles the Rooms toggle like the other buttons', async () => {
    const lines = () =>
      phone.getByRole('button', { name: 'Sign out' }).evaluate((button) => {
        const range = document.createRange();
        range.selectNodeContents(button);
        return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
      });
    // A phone, the narrowest one, and a window just too wide for the phone layout.
    for (const width of [360, 320, 720]) {
      await phone.setViewportSize({ width, height: 740 });
      await expect(lines().then((n) => ({ width, lines: n }))).resolves.toEqual({ width, lines: 1 });
    }
    await phone.setViewportSize(PHONE.viewport);
    const style = (name: string) =>
      phone.getByRole('button', { name, exact: true }).evaluate((el) => {
        const s = getComputedStyle(el);
        return { borderRadius: s.borderRadius, borderColor: s.borderTopColor, fontWeight: s.fontWeight, fontSize: s.fontSize, color: s.color };
      });
    await expect(style('Rooms')).resolves.toEqual(await style('Sign out'));
  });

  it('does not speak of Shift+Enter on a touch screen', async () => {
    await expect(phone.evaluate(() => matchMedia('(pointer: coarse)').matches)).resolves.toBe(true);
    await expect(box(phone).getAttribute('placeholder')).resolves.not.toMatch(/Shift/);
    await expect(box(annPage).getAttribute('placeholder')).resolves.toMatch(/Shift\+Enter/);
  });

  it('marks quotes with a left border', async () => {
    await say(annPage, '> a quoted line');
    const quote = annPage.locator('ol.messages blockquote', { hasText: 'a quoted line' });
    await quote.waitFor();
    const border = await quote.evaluate((el) => parseFloat(getComputedStyle(el).borderLeftWidth));
    expect(border).toBeGreaterThanOrEqual(2);
  });

  it('keeps a gap between "Yes, leave" and "Stay"', async () => {
    await annPage.getByRole('button', { name: 'Leave room' }).click();
    const yes = (await annPage.getByRole('button', { name: 'Yes, leave' }).boundingBox())!;
    const stay = (await annPage.getByRole('button', { name: 'Stay' }).boundingBox())!;
    const gap = stay.y >= yes.y + yes.height ? stay.y - (yes.y + yes.height) : stay.x - (yes.x + yes.width);
    expect(gap).toBeGreaterThanOrEqual(6);
    await annPage.getByRole('button', { name: 'Stay' }).click();
  });

  it('does not show "Online now" in green while this browser is offline', async () => {
    const green = 'rgb(46, 139, 87)';
    const online = annPage.getByRole('list', { name: 'Online now' });
    await online.getByText('ben').waitFor();
    const dot = online.locator('li', { hasText: 'ben' }).locator('.dot');
    await expect(dot.evaluate((el) => getComputedStyle(el).backgroundColor)).resolves.toBe(green);
    await annPage.context().setOffline(true);
    await annPage.locator('p.connection[data-state="offline"]').waitFor();
    await expect(dot.evaluate((el) => getComputedStyle(el).backgroundColor)).resolves.not.toBe(green);
    await annPage.locator('section.online').getByText('not up to date while you are offline', { exact: false }).waitFor();
    await annPage.context().setOffline(false);
    await annPage.locator('p.connection[data-state="connected"]').waitFor({ timeout: 20_000 });
    await expect(dot.evaluate((el) => getComputedStyle(el).backgroundColor)).resolves.toBe(green);
  });

});

describe('verification on a second device', () => {
  it('shows ✔ verified on old messages of a verified contact without opening a room with them', async () => {
    await say(benPage, 'a word from ben before leaving');
    await messages(annPage).filter({ hasText: 'a word from ben before leaving' }).waitFor();
    await annPage.getByRole('button', { name: 'Safety number with ben' }).click();
    await annPage.getByRole('button', { name: 'Mark as verified' }).click();
    await annPage.getByText('You marked ben as verified').waitFor();
    await annPage.getByRole('button', { name: 'Close' }).click();
    await messages(annPage).filter({ hasText: 'a word from ben before leaving' }).getByText('✔ verified').waitFor();

    // Ben leaves: no room of ann's has him as a member any more, his old messages stay.
    await benPage.getByRole('button', { name: 'Leave room' }).click();
    await benPage.getByRole('button', { name: 'Yes, leave' }).click();
    await benPage.waitForURL('**/home');

    const elsewhere = await pageOf(ann); // fresh cookies and IndexedDB
    await elsewhere.goto(`${server.origin}/rooms/${rooms['Daily']}`);
    await messages(elsewhere).filter({ hasText: 'a word from ben before leaving' }).getByText('✔ verified').waitFor({ timeout: 20_000 });
    await elsewhere.context().close();
  });
});

describe('all along', () => {
  it('broke no CSP rule and logged no error on any page', () => {
    // Offline on purpose: the browser reports the reconnection attempts it could not make.
    const errors = incidents.errors.filter((e) => !e.includes('net::ERR_INTERNET_DISCONNECTED'));
    expect({ ...incidents, errors }).toEqual({ violations: [], dialogs: [], errors: [] });
  });
});

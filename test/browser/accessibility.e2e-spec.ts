import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type Account, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { makeAdmin } from '../support/api-tokens.js';
import { launchChromium } from '../support/browser.js';
import { createRoom, joinRoom, messages, say, signInPage } from '../support/chat-ui.js';
import { ServerProcess } from '../support/server.js';

/** axe-core's browser build, injected into each page as a script (the page's CSP is bypassed for it). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const SIZES = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;
type Size = keyof typeof SIZES;

let server: ServerProcess;
let browser: Browser;
const contexts: BrowserContext[] = [];
let ann: Account;
let ben: Account;
let annPage: Page;
let benPage: Page;
let guestPage: Page;
let code: string;

async function newPage(): Promise<Page> {
  // bypassCSP lets addScriptTag put axe into the page; the CSP itself is the landing and chat suites' business.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, bypassCSP: true });
  contexts.push(context);
  return context.newPage();
}

beforeAll(async () => {
  [server, browser, ann, ben] = await Promise.all([
    ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', CHAT_RATE_LIMIT: 'steady' } }),
    launchChromium(),
    newAccount('ann'),
    newAccount('ben'),
  ]);
  await Promise.all([registeredClient(server, ann), registeredClient(server, ben)]);
  await makeAdmin(server, ann.userId);
  [annPage, benPage, guestPage] = await Promise.all([newPage(), newPage(), newPage()]);
  await Promise.all([signInPage(annPage, server, ann), signInPage(benPage, server, ben)]);
  // A room with two members and messages from both: the screen people spend their day on.
  code = await createRoom(annPage, 'Daily');
  await joinRoom(benPage, code, 'Daily', annPage);
  await say(annPage, 'Good morning, **ben**');
  await say(benPage, 'Morning! The [agenda](https://example.com/agenda) is up.');
  await messages(annPage).filter({ hasText: 'The agenda is up' }).waitFor({ timeout: 30_000 });
}, 180_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await server?.stop();
});

/** The serious and critical axe violations of what the page shows now, one line each (rule, impact, where). */
async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}${v.nodes.length > 3 ? ` and ${v.nodes.length - 3} more` : ''}`);
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Opens `path` (a full page load) at `size` and waits for the screen's heading. */
async function open(page: Page, size: Size, path: string, heading: string | RegExp): Promise<void> {
  await page.setViewportSize(SIZES[size]);
  await page.goto(`${server.origin}${path}`, { waitUntil: 'networkidle' });
  await page.getByRole('heading', { level: 1, name: heading }).waitFor({ timeout: 30_000 });
}

describe.each(Object.keys(SIZES) as Size[])('axe-core at %s size: no serious or critical violation', (size) => {
  it.each([
    ['landing', '/', 'Conclave'],
    ['sign-in', '/sign-in', 'Sign in to Conclave'],
    ['sign-up', '/sign-up', 'Create your account'],
    ['invite link', `/join/ABCD#${'A'.repeat(42)}g`, 'Invitation to room ABCD'],
    ['incomplete invite link', '/join/ABCD', 'Invitation to room ABCD'],
    ['not found', '/no/such/page', 'Page not found'],
  ])('signed out: %s', async (_screen, path, heading) => {
    await open(guestPage, size, path, heading);
    expect(await seriousViolations(guestPage)).toEqual([]);
    // The skip link's target (#content) is the screen's main region.
    expect(await guestPage.locator('main#content').count()).toBe(1);
  });

  it.each([
    ['dashboard', '/home', /^Welcome/],
    ['account', '/account', 'Your account'],
    ['admin console: rooms', '/admin/rooms', 'Administration'],
    ['admin console: users', '/admin/users', 'Administration'],
    ['admin console: API tokens', '/admin/tokens', 'Administration'],
    ['admin console: audit log', '/admin/audit', 'Administration'],
  ])('signed in: %s', async (_screen, path, heading) => {
    await open(annPage, size, path, heading);
    await annPage.waitForLoadState('networkidle');
    expect(await seriousViolations(annPage)).toEqual([]);
    expect(await annPage.locator('main#content').count()).toBe(1);
  });

  it('signed in: the create-room dialog', async () => {
    await open(annPage, size, '/home', /^Welcome/);
    if (size === 'phone') await annPage.getByRole('button', { name: 'Rooms', exact: true }).click();
    await annPage.getByRole('button', { name: 'Create room' }).click();
    await annPage.getByLabel('Room name').waitFor();
    expect(await seriousViolations(annPage)).toEqual([]);
    await annPage.keyboard.press('Escape');
  });

  it('signed in: a room with messages and members (members panel open)', async () => {
    await open(annPage, size, `/rooms/${code}`, 'Daily');
    await messages(annPage).filter({ hasText: 'The agenda is up' }).waitFor({ timeout: 30_000 });
    await annPage.locator('[aria-label="Room roster"] li[data-user="ben"]').waitFor({ state: 'attached' });
    const membersToggle = annPage.getByRole('button', { name: /^Members/ });
    if ((await membersToggle.getAttribute('aria-expanded')) !== 'true') await membersToggle.click();
    await annPage.getByRole('button', { name: 'Invite' }).click();
    await annPage.getByRole('heading', { name: 'Invite people' }).waitFor();
    expect(await seriousViolations(annPage)).toEqual([]);
  });

  it('signed in: the room as the other member sees it (presence, safety number link)', async () => {
    await open(benPage, size, `/rooms/${code}`, 'Daily');
    await messages(benPage).filter({ hasText: 'Good morning' }).waitFor({ timeout: 30_000 });
    expect(await seriousViolations(benPage)).toEqual([]);
  });
});

describe('keyboard: skip link, focus after navigation, focus rings', () => {
  /** What has focus: its tag, its text, its tabindex. */
  const focused = (page: Page) =>
    page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return { tag: el?.tagName.toLowerCase(), text: el?.textContent?.trim(), tabindex: el?.getAttribute('tabindex') };
    });
  /** Focus once it reached an element `tag` saying `text` (or after 10 s, whatever has it then). */
  const focusOn = async (page: Page, tag: string, text: string) => {
    await page
      .waitForFunction(([t, x]) => document.activeElement?.tagName.toLowerCase() === t && document.activeElement.textContent?.trim() === x, [tag, text], { timeout: 10_000 })
      .catch(() => undefined);
    return focused(page);
  };

  it('the first Tab reaches a visible "Skip to content" link, which moves focus past the top bar and rooms to the screen heading', async () => {
    await open(annPage, 'desktop', '/home', /^Welcome/);
    await annPage.keyboard.press('Tab');
    expect(await focused(annPage)).toMatchObject({ tag: 'a', text: 'Skip to content' });
    const box = await annPage.getByRole('link', { name: 'Skip to content' }).boundingBox();
    expect(box).not.toBeNull();
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.height).toBeGreaterThan(10);
    await annPage.keyboard.press('Enter');
    expect(await focused(annPage)).toMatchObject({ tag: 'h1', text: `Welcome, ${ann.username}`, tabindex: '-1' });
    expect(annPage.url()).toBe(`${server.origin}/home`);
    // The next Tab continues inside the screen, not in the top bar.
    await annPage.keyboard.press('Tab');
    expect(await annPage.evaluate(() => !!document.activeElement?.closest('main'))).toBe(true);
  });

  it('the skip link is out of sight until focused', async () => {
    await open(guestPage, 'phone', '/sign-in', 'Sign in to Conclave');
    const box = await guestPage.getByRole('link', { name: 'Skip to content' }).boundingBox();
    expect(box === null || box.y + box.height <= 0).toBe(true);
  });

  it('after a navigation focus is on the new screen heading: a link, a sign-in, a room from the sidebar', async () => {
    const page = await newPage();
    await page.setViewportSize(SIZES.desktop);
    await page.goto(`${server.origin}/`, { waitUntil: 'networkidle' });
    // A page load leaves focus at the top, where the skip link is.
    expect((await focused(page)).tag).toBe('body');
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL('**/sign-in');
    expect(await focusOn(page, 'h1', 'Sign in to Conclave')).toEqual({ tag: 'h1', text: 'Sign in to Conclave', tabindex: '-1' });

    await page.getByLabel('Username').fill(ben.username);
    await page.getByLabel('Password').fill(ben.password);
    await page.getByLabel('Password').press('Enter');
    await page.waitForURL('**/home', { timeout: 60_000 });
    expect(await focusOn(page, 'h1', `Welcome, ${ben.username}`)).toMatchObject({ tag: 'h1', text: `Welcome, ${ben.username}` });

    await page.locator('nav[aria-label="Rooms"]').getByRole('link', { name: new RegExp(code) }).click();
    await page.waitForURL(`**/rooms/${code}`);
    expect(await focusOn(page, 'h1', 'Daily')).toMatchObject({ tag: 'h1', text: 'Daily' });
    await page.context().close();
  });

  it('a link shows the same focus ring as a button when reached with the keyboard', async () => {
    await open(annPage, 'desktop', '/home', /^Welcome/);
    const ring = async (selector: string) => {
      const target = annPage.locator(selector).first();
      // Tab until it has focus, as a keyboard user gets there (:focus-visible).
      for (let i = 0; i < 40 && !(await target.evaluate((el) => el === document.activeElement)); i++) await annPage.keyboard.press('Tab');
      return target.evaluate((el) => {
        const style = getComputedStyle(el);
        return { focused: el === document.activeElement, style: style.outlineStyle, width: style.outlineWidth, color: style.outlineColor };
      });
    };
    const button = await ring('header.topbar button.button:not(.menu-toggle)'); // the Rooms toggle shows on a phone only
    expect(button).toMatchObject({ focused: true, style: 'solid', width: '3px' });
    await open(annPage, 'desktop', '/home', /^Welcome/);
    const link = await ring('header.topbar a.brand');
    expect(link).toEqual(button);
    await open(annPage, 'desktop', '/home', /^Welcome/);
    expect(await ring('nav[aria-label="Rooms"] ul.rooms a')).toEqual(button);
  });
});

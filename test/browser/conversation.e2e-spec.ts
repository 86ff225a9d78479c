import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type Account, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { launchChromium } from '../support/browser.js';
import { createRoom, joinRoom, messages, type PageIncidents, say, signInPage, watchedPage } from '../support/chat-ui.js';
import { sql } from '../support/db.js';
import { REPO_ROOT, ServerProcess } from '../support/server.js';

/**
 * Issue 15's conversation as people see it in chromium: edit and delete across two people and a
 * second device of the sender (live, in history after a reload), membership lines, the unread
 * divider, day separators and grouping, the newcomer's note in a `joined`-history room, and the
 * message limit as a deployment setting (docs/protocol.md §9, §9a–§9c).
 */

/** A deployment with a longer limit than the default, to see the setting reach the browser. */
const LIMIT = 200;

let server: ServerProcess;
let browser: Browser;
const contexts: BrowserContext[] = [];
const incidents: PageIncidents = { violations: [], dialogs: [], errors: [] };
let ann: Account;
let ben: Account;
let annPage: Page;
/** Ann's second device: its own browser context, signed in as ann. */
let annPhone: Page;
let benPage: Page;
let code: string;

const line = (page: Page, text: string) => messages(page).filter({ hasText: text });

beforeAll(async () => {
  [server, browser, ann, ben] = await Promise.all([
    ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', CHAT_RATE_LIMIT: 'burst', MESSAGE_MAX_CHARS: String(LIMIT) } }),
    launchChromium(),
    newAccount('ann'),
    newAccount('ben'),
  ]);
  await registeredClient(server, ann);
  await registeredClient(server, ben);
  [annPage, annPhone, benPage] = await Promise.all([0, 1, 2].map(() => watchedPage(browser, incidents, contexts)));
  await Promise.all([signInPage(annPage, server, ann), signInPage(annPhone, server, ann), signInPage(benPage, server, ben)]);
  code = await createRoom(annPage, 'Cues');
  await joinRoom(benPage, code, 'Cues', annPage);
  await annPhone.goto(`${server.origin}/rooms/${code}`);
  await annPhone.getByRole('heading', { level: 1, name: 'Cues' }).waitFor({ timeout: 30_000 });
}, 180_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await server?.stop();
});

describe('the conversation in chromium', () => {
  it('says who joined, under a day separator', async () => {
    for (const page of [annPage, annPhone, benPage]) {
      await page.locator('ol.messages > li.event[data-event="joined"]', { hasText: 'ben' }).waitFor({ timeout: 20_000 });
      await expect(page.locator('ol.messages > li.day').first().textContent()).resolves.toContain('Today');
    }
    await expect(benPage.locator('li.event[data-event="joined"]').textContent()).resolves.toContain('ben (you) joined the room');
  });

  it('edits a message: everyone, the sender’s other device included, sees the new text marked edited', async () => {
    await say(annPage, 'lunch at noon?');
    await line(benPage, 'lunch at noon?').waitFor({ timeout: 20_000 });
    await line(annPhone, 'lunch at noon?').waitFor({ timeout: 20_000 });
    // Nobody may edit or delete another's message.
    await expect(line(benPage, 'lunch at noon?').getByRole('button', { name: /Edit|Delete/ }).count()).resolves.toBe(0);

    const mine = line(annPage, 'lunch at noon?');
    await mine.getByRole('button', { name: 'Edit your message' }).click();
    const box = annPage.getByLabel('Edit your message');
    await expect(box.inputValue()).resolves.toBe('lunch at noon?');
    // Escape gives up without a change.
    await box.press('Escape');
    await box.waitFor({ state: 'detached' });
    await mine.getByRole('button', { name: 'Edit your message' }).click();
    await annPage.getByLabel('Edit your message').fill('lunch at **one**?');
    await annPage.getByLabel('Edit your message').press('Enter');

    for (const page of [annPage, annPhone, benPage]) {
      const edited = line(page, 'lunch at one?');
      await edited.locator('.edited', { hasText: 'edited' }).waitFor({ timeout: 20_000 });
      await expect(edited.locator('strong').textContent()).resolves.toBe('one');
      await expect(line(page, 'lunch at noon?').count()).resolves.toBe(0);
    }
  });

  it('deletes a message for everyone and leaves a marker; the server keeps no ciphertext of it or its edits', async () => {
    await say(annPage, 'a secret I regret');
    await line(benPage, 'a secret I regret').waitFor({ timeout: 20_000 });
    await line(annPhone, 'a secret I regret').waitFor({ timeout: 20_000 });
    const seq = Number(await line(annPage, 'a secret I regret').getAttribute('data-seq'));

    const mine = line(annPage, 'a secret I regret');
    await mine.getByRole('button', { name: 'Delete your message' }).click();
    const confirm = annPage.getByRole('alertdialog', { name: 'Delete this message for everyone?' });
    await confirm.getByRole('button', { name: 'Keep' }).click();
    await expect(line(annPage, 'a secret I regret').count()).resolves.toBe(1);
    await mine.getByRole('button', { name: 'Delete your message' }).click();
    await annPage.getByRole('alertdialog', { name: 'Delete this message for everyone?' }).getByRole('button', { name: 'Delete' }).click();

    for (const page of [annPage, annPhone, benPage]) {
      await page.locator(`ol.messages > li.message.deleted[data-seq="${seq}"]`, { hasText: 'This message was deleted' }).waitFor({ timeout: 20_000 });
      await expect(line(page, 'a secret I regret').count()).resolves.toBe(0);
    }
    expect(await sql(server, `SELECT ct FROM messages m JOIN rooms r ON r.id = m.room_id WHERE r.code = $1 AND m.seq = $2`, [code, seq])).toEqual([{ ct: null }]);
  });

  it('shows edits and deletions the same in history: after a reload, and on a device that was away', async () => {
    await benPage.reload();
    await annPhone.close();
    annPhone = await watchedPage(browser, incidents, contexts);
    await signInPage(annPhone, server, ann);
    await annPhone.goto(`${server.origin}/rooms/${code}`);
    for (const page of [benPage, annPhone]) {
      await line(page, 'lunch at one?').locator('.edited').waitFor({ timeout: 30_000 });
      await page.locator('ol.messages > li.message.deleted', { hasText: 'This message was deleted' }).waitFor();
      await expect(page.locator('ol.messages').textContent()).resolves.not.toContain('a secret I regret');
      await expect(page.locator('ol.messages').textContent()).resolves.not.toContain('lunch at noon?');
    }
    // The edit is no line of its own, and the deletion left one marker.
    await expect(messages(benPage).count()).resolves.toBe(2);
  });

  it('groups one sender’s consecutive messages under one header', async () => {
    await say(benPage, 'first of two');
    await say(benPage, 'second of two');
    const second = line(annPage, 'second of two');
    await second.waitFor({ timeout: 20_000 });
    await expect(second.getAttribute('class')).resolves.toContain('continues');
    await expect(line(annPage, 'first of two').getAttribute('class')).resolves.not.toContain('continues');
  });

  it('marks where unread messages start when a room is opened', async () => {
    const side = await createRoom(benPage, 'Side');
    await benPage.locator('nav[aria-label="Rooms"]').getByRole('link', { name: /Cues/ }).click();
    await benPage.getByRole('heading', { level: 1, name: 'Cues' }).waitFor();
    await say(annPage, 'while you were away 1');
    await say(annPage, 'while you were away 2');
    // Ben reads another room meanwhile, then comes back.
    await benPage.locator('nav[aria-label="Rooms"]').getByRole('link', { name: /Side/ }).click();
    await benPage.getByRole('heading', { level: 1, name: 'Side' }).waitFor();
    await say(annPage, 'while you were away 3');
    await say(annPage, 'while you were away 4');
    await benPage.locator('nav[aria-label="Rooms"]').getByRole('link', { name: /Cues/ }).getByLabel('2 unread').waitFor({ timeout: 20_000 });
    await benPage.locator('nav[aria-label="Rooms"]').getByRole('link', { name: /Cues/ }).click();
    await line(benPage, 'while you were away 4').waitFor({ timeout: 20_000 });
    const divider = benPage.locator('ol.messages > li.unread-divider', { hasText: 'New messages' });
    await divider.waitFor();
    // Right before the first message ben had not seen.
    await expect(divider.locator('xpath=following-sibling::li[1]').textContent()).resolves.toContain('while you were away 3');
    // The README's picture of the conversation (docs/screenshot-chat.png is copied from it).
    mkdirSync(join(REPO_ROOT, 'test-output'), { recursive: true });
    await benPage.setViewportSize({ width: 1100, height: 760 });
    await benPage.screenshot({ path: join(REPO_ROOT, 'test-output/conversation.png') });
    expect(side).toMatch(/^[A-Z0-9]{4}$/);
  });

  it('offers a way back to the newest message to a reader scrolled up, counting what arrived meanwhile', async () => {
    await benPage.setViewportSize({ width: 900, height: 420 });
    const scroller = benPage.locator('cv-message-list .scroller');
    await scroller.evaluate((el) => el.scrollTo({ top: 0 }));
    const jump = benPage.getByRole('button', { name: /Jump to latest|new message/ });
    await jump.waitFor();
    await say(annPage, 'news from below');
    await benPage.getByRole('button', { name: '1 new message ↓' }).waitFor({ timeout: 20_000 });
    await benPage.getByRole('button', { name: '1 new message ↓' }).click();
    await jump.waitFor({ state: 'detached' });
    await expect(line(benPage, 'news from below').isVisible()).resolves.toBe(true);
    const fromBottom = await scroller.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
    expect(fromBottom).toBeLessThan(5);
    await benPage.setViewportSize({ width: 1100, height: 760 });
  });

  it('explains to a newcomer of a joined-history room why earlier messages are missing, and says who left', async () => {
    await annPage.goto(`${server.origin}/home`);
    await annPage.getByRole('button', { name: 'Create room' }).click();
    await annPage.getByLabel('Room name').fill('Later');
    await annPage.getByLabel('Only messages from when they join').check();
    await annPage.getByRole('button', { name: 'Create', exact: true }).click();
    const later = (await annPage.getByLabel('New room code').textContent({ timeout: 60_000 }))!.trim();
    await annPage.getByRole('button', { name: 'Open Later' }).click();
    await annPage.getByRole('heading', { level: 1, name: 'Later' }).waitFor();
    await say(annPage, 'before ben came');
    await joinRoom(benPage, later, 'Later', annPage);
    await benPage.getByText('messages from before you joined are hidden by the room’s setting').waitFor({ timeout: 20_000 });
    await expect(benPage.locator('ol.messages').textContent()).resolves.not.toContain('before ben came');
    // The owner sees the start of the conversation, not the newcomer's note.
    await expect(annPage.getByText('messages from before you joined are hidden').count()).resolves.toBe(0);

    // Ben holds the room key (his message is stored) before he leaves: no key work is left in flight.
    await say(benPage, 'hello, and goodbye');
    await line(annPage, 'hello, and goodbye').waitFor({ timeout: 20_000 });
    await benPage.getByRole('button', { name: 'Leave room' }).click();
    await benPage.getByRole('button', { name: 'Yes, leave' }).click();
    await annPage.locator('ol.messages > li.event[data-event="left"]', { hasText: 'ben left the room' }).waitFor({ timeout: 20_000 });
  });

  it('follows the deployment’s message limit, and explains it when reached', async () => {
    await benPage.locator('nav[aria-label="Rooms"]').getByRole('link', { name: /Cues/ }).click();
    await benPage.getByRole('heading', { level: 1, name: 'Cues' }).waitFor();
    const box = benPage.getByLabel('Message', { exact: true });
    const long = `${'long message '.repeat(16)}end`.slice(0, LIMIT);
    await box.fill(long);
    await expect(benPage.locator('#composer-count').textContent()).resolves.toBe(`${LIMIT}/${LIMIT}`);
    await benPage.getByRole('status').filter({ hasText: `at most ${LIMIT} characters` }).waitFor();
    await box.press('Enter');
    await annPage.goto(`${server.origin}/rooms/${code}`);
    await line(annPage, long.slice(-20)).waitFor({ timeout: 30_000 });
    await box.fill(`${long}!`);
    await benPage.getByRole('status').filter({ hasText: '1 character over' }).waitFor();
    await expect(benPage.getByRole('button', { name: 'Send' }).isDisabled()).resolves.toBe(true);
  });

  it('stayed clean: no CSP violation, dialog or console error', () => {
    expect(incidents).toEqual({ violations: [], dialogs: [], errors: [] });
  });
});

import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { FILE_ID_PATTERN, LIMITS } from '@conclave/contracts';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { type Account, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { launchChromium } from '../support/browser.js';
import { createRoom, joinRoom, messages, type PageIncidents, signInPage, watchedPage } from '../support/chat-ui.js';
import { sql } from '../support/db.js';
import { ServerProcess } from '../support/server.js';

/** Short enough to outlive in the test, long enough for one link's fetch on a slow machine. */
const LINK_TTL_SECONDS = 8;

let server: ServerProcess;
let browser: Browser;
const contexts: BrowserContext[] = [];
const incidents: PageIncidents = { violations: [], dialogs: [], errors: [] };
let ann: Account;
let ben: Account;
let annPage: Page;
let benPage: Page;
let code: string;
const annUploads: Request[] = [];
const benLinks: string[] = [];

/** A real 3×2 RGB PNG (so the preview has a size to show), with a marker in a text chunk and `padding` bytes of text after it. */
function png(padding = 0): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(3, 0);
  header.writeUInt32BE(2, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('tEXt', Buffer.from('Comment\0png-plaintext-marker-7e1c', 'latin1')),
    ...(padding ? [chunk('tEXt', Buffer.concat([Buffer.from('Padding\0', 'latin1'), Buffer.alloc(padding, 'x')]))] : []),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const FILES = {
  'photo.png': { mimeType: 'image/png', buffer: png() },
  'report.pdf': { mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% pdf-plaintext-marker-93ab\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n') },
  'notes.txt': { mimeType: 'text/plain', buffer: Buffer.from('Meeting notes — txt-plaintext-marker-51d0 ✓\n') },
};
const MARKERS = ['png-plaintext-marker-7e1c', 'pdf-plaintext-marker-93ab', 'txt-plaintext-marker-51d0'];

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Picks files through the composer's attach button and the browser's file chooser. */
async function attach(page: Page, files: Array<{ name: string; mimeType: string; buffer: Buffer }>): Promise<void> {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: 'Attach a file' }).click()]);
  await chooser.setFiles(files);
}

/** The classic 1×1 GIF. */
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/** Clicks a link that saves a file and returns the saved bytes and name. */
async function save(page: Page, name: string): Promise<{ bytes: Buffer; suggested: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: `Save ${name}` }).click()]);
  const path = await download.path();
  return { bytes: await readFile(path), suggested: download.suggestedFilename() };
}

/** The id ann's browser uploaded a file of this type under (the first such upload from `from` on). */
const uploadedId = (type: string, from = 0) =>
  new URL(annUploads.slice(from).find((u) => new URL(u.url()).searchParams.get('type') === type)!.url()).pathname.split('/').at(-1)!;

const fileMessage = (page: Page, name: string) => page.getByRole('group', { name: `File ${name}` });

beforeAll(async () => {
  [server, browser, ann, ben] = await Promise.all([
    ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', CHAT_RATE_LIMIT: 'steady', FILE_LINK_TTL_SECONDS: String(LINK_TTL_SECONDS) } }),
    launchChromium(),
    newAccount('ann'),
    newAccount('ben'),
  ]);
  await registeredClient(server, ann);
  await registeredClient(server, ben);
  [annPage, benPage] = await Promise.all([watchedPage(browser, incidents, contexts), watchedPage(browser, incidents, contexts)]);
  // Chromium's file chooser is intercepted only while someone listens: listen from the start, so a chooser opened by a key press is never missed.
  annPage.on('filechooser', () => undefined);
  annPage.on('request', (request) => request.method() === 'PUT' && /\/files\//.test(request.url()) && annUploads.push(request));
  benPage.on('request', (request) => request.method() === 'POST' && /\/files\/[^/]+\/link$/.test(request.url()) && benLinks.push(request.url()));
  await Promise.all([signInPage(annPage, server, ann), signInPage(benPage, server, ben)]);
  code = await createRoom(annPage, 'Files');
  await joinRoom(benPage, code, 'Files', annPage);
  // ben reads, previews and saves on a phone-size screen.
  await benPage.setViewportSize({ width: 390, height: 844 });
}, 180_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await server?.stop();
});

describe('encrypted files in chromium: two people, one room', () => {
  it('ann shares a PNG, a PDF and a TXT from the keyboard: only ciphertext is uploaded, under ids her browser made', async () => {
    // From the message box, Tab reaches the attach button and Enter opens the file chooser.
    await annPage.getByLabel('Message', { exact: true }).focus();
    await annPage.keyboard.press('Tab');
    await expect(annPage.evaluate(() => document.activeElement?.getAttribute('aria-label'))).resolves.toBe('Attach a file');
    const [chooser] = await Promise.all([annPage.waitForEvent('filechooser'), annPage.keyboard.press('Enter')]);
    await chooser.setFiles(Object.entries(FILES).map(([name, file]) => ({ name, ...file })));
    await annPage.locator('ol.messages > li.mine[data-state="ok"]').nth(2).waitFor({ timeout: 60_000 });
    expect(annUploads).toHaveLength(3);
    for (const upload of annUploads) {
      const url = new URL(upload.url());
      expect(url.pathname).toMatch(new RegExp(`^/api/rooms/${code}/files/[0-9a-f-]{36}$`));
      expect(url.pathname.split('/').at(-1)).toMatch(FILE_ID_PATTERN);
      const body = upload.postDataBuffer();
      expect(body).not.toBeNull();
      for (const marker of MARKERS) expect(body!.includes(marker)).toBe(false);
    }
    const sizes = annUploads.map((u) => u.postDataBuffer()!.length).sort((a, b) => a - b);
    expect(sizes).toEqual(Object.values(FILES).map((f) => f.buffer.length + 16).sort((a, b) => a - b));
    await expect(annPage.getByRole('list', { name: 'Uploads' }).count()).resolves.toBe(0);
  });

  it('ben sees the image previewed and saves all three byte for byte, each under its own name', async () => {
    const photo = fileMessage(benPage, 'photo.png');
    await photo.waitFor({ timeout: 30_000 });
    await expect(photo.textContent()).resolves.toMatch(/PNG · \d+ B/);
    const preview = photo.getByRole('img', { name: 'photo.png' });
    await preview.waitFor({ timeout: 30_000 });
    await expect(preview.getAttribute('src')).resolves.toMatch(/^blob:/);
    await expect(preview.evaluate((img: HTMLImageElement) => img.decode().then(() => [img.naturalWidth, img.naturalHeight]))).resolves.toEqual([3, 2]);
    const savedPhoto = await save(benPage, 'photo.png');
    expect(savedPhoto.suggested).toBe('photo.png');
    expect(sha256(savedPhoto.bytes)).toBe(sha256(FILES['photo.png'].buffer));

    for (const name of ['report.pdf', 'notes.txt'] as const) {
      const message = fileMessage(benPage, name);
      await expect(message.textContent()).resolves.toContain(name === 'report.pdf' ? 'PDF' : 'TXT');
      // Not fetched until asked for.
      await expect(message.getByRole('link').count()).resolves.toBe(0);
      await message.getByRole('button', { name: `Download ${name}` }).click();
      const open = message.getByRole('link', { name: `Open ${name}` });
      await open.waitFor({ timeout: 30_000 });
      await expect(open.getAttribute('href')).resolves.toMatch(/^blob:/);
      await expect(open.getAttribute('target')).resolves.toBe('_blank');
      if (name === 'notes.txt') {
        // Opened in a new tab from its blob: URL, shown as the text it is.
        const [tab] = await Promise.all([benPage.context().waitForEvent('page'), open.click()]);
        await tab.waitForLoadState();
        await expect(tab.locator('body').textContent()).resolves.toBe(FILES[name].buffer.toString('utf8'));
        await tab.close();
      }
      const saved = await save(benPage, name);
      expect(saved.suggested).toBe(name);
      expect(sha256(saved.bytes)).toBe(sha256(FILES[name].buffer));
    }
    // One link per file, and nothing of the links in what the server stored or sent as messages.
    expect(benLinks).toHaveLength(3);
  });

  it('shares an image dropped on the conversation and one pasted into the message box', async () => {
    const before = annUploads.length;
    const dropped = await annPage.evaluateHandle((bytes) => {
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array(bytes)], 'dropped.gif', { type: 'image/gif' }));
      return data;
    }, [...GIF]);
    await annPage.getByRole('region', { name: 'Conversation' }).dispatchEvent('dragover', { dataTransfer: dropped });
    await annPage.getByRole('region', { name: 'Conversation' }).dispatchEvent('drop', { dataTransfer: dropped });
    // A screenshot on the clipboard: a JPEG the page draws, pasted into the composer.
    const pastedBytes = await annPage.evaluate(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 4;
      canvas.height = 3;
      const context = canvas.getContext('2d')!;
      context.fillStyle = '#3366cc';
      context.fillRect(0, 0, 4, 3);
      const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), 'image/jpeg'));
      const data = new DataTransfer();
      data.items.add(new File([blob], 'pasted.jpg', { type: 'image/jpeg' }));
      document.querySelector('#composer-text')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
      return [...new Uint8Array(await blob.arrayBuffer())];
    });
    await annPage.locator('ol.messages > li.mine[data-state="ok"]').nth(4).waitFor({ timeout: 60_000 });
    expect(annUploads).toHaveLength(before + 2);
    // Pasting a file puts nothing in the message box.
    await expect(annPage.getByLabel('Message', { exact: true }).inputValue()).resolves.toBe('');

    for (const [name, bytes, width] of [['dropped.gif', GIF, 1], ['pasted.jpg', Buffer.from(pastedBytes), 4]] as const) {
      const preview = fileMessage(benPage, name).getByRole('img', { name });
      await preview.waitFor({ timeout: 30_000 });
      await expect(preview.evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth))).resolves.toBe(width);
      expect(sha256((await save(benPage, name)).bytes)).toBe(sha256(bytes));
    }
  });

  it('shows the room’s file total to members', async () => {
    await benPage.getByRole('button', { name: /^Members/ }).click();
    const total = annUploads.reduce((sum, upload) => sum + upload.postDataBuffer()!.length, 0);
    // The ciphertext: each file plus its 16-byte tag (between 1 and 2 KiB here).
    expect(total).toBeGreaterThan(1024);
    expect(total).toBeLessThan(2048);
    await expect(benPage.getByLabel('Shared files').textContent()).resolves.toContain(`Shared files: 5 (${(total / 1024).toFixed(1)} KiB encrypted)`);
    await benPage.getByRole('button', { name: /^Members/ }).click();
  });

  it('refuses an oversized file and a renamed executable in the browser, before any upload', async () => {
    const before = annUploads.length;
    const big = Buffer.alloc(LIMITS.fileBytes + 1, 0x41);
    await attach(annPage, [{ name: 'big.txt', mimeType: 'text/plain', buffer: big }]);
    await expect(annPage.getByRole('alert').filter({ hasText: 'Not shared' }).textContent()).resolves.toMatch(/"big\.txt" is 8\.0 MiB: files can be at most 8\.0 MiB/);

    const executable = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff', 'latin1'), Buffer.alloc(64)]);
    await attach(annPage, [{ name: 'invoice.pdf', mimeType: 'application/pdf', buffer: executable }]);
    // Each refusal replaces the last one's alert: wait for the new text, not the alert.
    await annPage.getByRole('alert').filter({ hasText: '"invoice.pdf" is named .pdf but its content is not an allowed type' }).waitFor();

    await attach(annPage, [{ name: 'setup.exe', mimeType: 'application/octet-stream', buffer: executable }]);
    await annPage.getByRole('alert').filter({ hasText: '"setup.exe": only TXT, PDF, PNG, JPG, JPEG, GIF files can be shared' }).waitFor();

    expect(annUploads).toHaveLength(before);
    await expect(messages(annPage).count()).resolves.toBe(5);
  });

  /** Leaves the room for the home page and comes back: the room is shown anew and its image preview fetched again. */
  async function reopenRoom(page: Page): Promise<void> {
    await page.getByRole('link', { name: 'Conclave', exact: true }).click();
    await page.waitForURL('**/home');
    // On a phone the room list is behind its menu button.
    const menu = page.getByRole('button', { name: 'Rooms', exact: true });
    if (await menu.isVisible()) await menu.click();
    await page.locator('nav[aria-label="Rooms"]').getByRole('link', { name: new RegExp(code) }).click();
  }

  it('shows upload progress, and Cancel aborts the upload: no message is sent', async () => {
    const before = annUploads.length;
    const lines = await messages(annPage).count();
    // A slow uplink, so the upload is still under way when Cancel is pressed.
    const cdp = await annPage.context().newCDPSession(annPage);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 256 * 1024 });
    try {
      const aborted = annPage.waitForEvent('requestfailed', { predicate: (request) => request.method() === 'PUT', timeout: 30_000 });
      await attach(annPage, [{ name: 'long-notes.txt', mimeType: 'text/plain', buffer: Buffer.alloc(4 * 1024 * 1024, 'long notes ') }]);
      const progress = annPage.getByRole('progressbar', { name: 'Uploading long-notes.txt' });
      await progress.waitFor({ timeout: 30_000 });
      await annPage.getByRole('button', { name: 'Cancel upload of long-notes.txt' }).click();
      await aborted;
      await annPage.getByRole('list', { name: 'Uploads' }).waitFor({ state: 'detached' });
    } finally {
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await cdp.detach();
    }
    expect(annUploads).toHaveLength(before + 1);
    await annPage.waitForTimeout(500);
    await expect(messages(annPage).count()).resolves.toBe(lines);
  });

  it('shows a file whose stored bytes were altered as failed its integrity check, never the image', async () => {
    const stored = join(server.dataDir, 'files', uploadedId('image/png').slice(0, 2), uploadedId('image/png'));
    const original = await readFile(stored);
    const altered = Buffer.from(original);
    altered[altered.length - 1]! ^= 1;
    await writeFile(stored, altered);
    try {
      await reopenRoom(benPage);
      const photo = fileMessage(benPage, 'photo.png');
      await expect(photo.getByRole('alert').textContent({ timeout: 30_000 })).resolves.toMatch(/"photo\.png" failed its integrity check: .*altered.*It is not shown\./);
      await expect(photo.getByRole('img').count()).resolves.toBe(0);
      await expect(photo.getByRole('link').count()).resolves.toBe(0);
    } finally {
      await writeFile(stored, original);
    }
  });

  it('does not show a file message the server records with another file than its content names', async () => {
    const [row] = await sql<{ room_id: string; seq: string }>(server, 'UPDATE messages SET file_id = NULL WHERE file_id = $1 RETURNING room_id, seq', [uploadedId('application/pdf')]);
    try {
      await reopenRoom(benPage);
      const shown = messages(benPage).filter({ hasText: 'report.pdf' });
      await expect(shown.getAttribute('data-state', { timeout: 30_000 })).resolves.toBe('bad-file');
      await expect(shown.textContent()).resolves.toContain('“report.pdf” failed its integrity check (the server names another file) and is not shown');
      await expect(shown.getByRole('button').count()).resolves.toBe(0);
    } finally {
      await sql(server, 'UPDATE messages SET file_id = $1 WHERE room_id = $2 AND seq = $3', [uploadedId('application/pdf'), row!.room_id, row!.seq]);
    }
  });

  const IMAGES = ['photo.png', 'dropped.gif', 'pasted.jpg'];

  /** Every image previewed again (one link each), none failing. */
  async function previewsShown(page: Page): Promise<void> {
    for (const name of IMAGES) {
      const preview = fileMessage(page, name).getByRole('img', { name });
      await preview.waitFor({ timeout: 30_000 });
      await expect(preview.evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth > 0))).resolves.toBe(true);
      await expect(fileMessage(page, name).getByRole('alert').count()).resolves.toBe(0);
    }
  }

  it('asks for a new link once the one it kept has expired', async () => {
    await benPage.waitForTimeout((LINK_TTL_SECONDS + 1) * 1000);
    // Counted only now: a link the previous test's reopening asked for late is not this reopening's.
    const asked = benLinks.length;
    await reopenRoom(benPage);
    await previewsShown(benPage);
    expect(benLinks.length).toBe(asked + IMAGES.length);
    // Previews that grew the list as they loaded left the reader at the newest message.
    await expect(benPage.locator('.scroller').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).resolves.toBeLessThan(2);
  });

  it('renews a link the server refuses as expired, transparently (this browser’s clock says it is still valid)', async () => {
    const asked = benLinks.length;
    const refused: number[] = [];
    benPage.on('response', (response) => response.url().includes('/api/files/') && response.status() === 410 && refused.push(response.status()));
    // Stop ben's clock: the links kept from the previous step never look expired to this browser.
    await benPage.clock.setFixedTime(Date.now());
    await benPage.waitForTimeout((LINK_TTL_SECONDS + 1) * 1000);
    await reopenRoom(benPage);
    await previewsShown(benPage);
    expect(refused).toEqual(IMAGES.map(() => 410));
    expect(benLinks.length).toBe(asked + IMAGES.length);
  });

  it('shows a large image only when asked: "Show image" instead of fetching it, reachable from the keyboard', async () => {
    // Over AUTO_PREVIEW_MAX_BYTES (2 MiB), shared beside a small GIF that is previewed by itself.
    const large = png(3 * 1024 * 1024);
    const asked = benLinks.length;
    const uploaded = annUploads.length;
    await attach(annPage, [
      { name: 'poster.png', mimeType: 'image/png', buffer: large },
      { name: 'small.gif', mimeType: 'image/gif', buffer: GIF },
    ]);
    // Previews load as their messages come near the screen: ben scrolls down to the new ones.
    const poster = fileMessage(benPage, 'poster.png');
    await poster.waitFor({ timeout: 60_000 });
    await poster.scrollIntoViewIfNeeded();
    await fileMessage(benPage, 'small.gif').getByRole('img', { name: 'small.gif' }).waitFor({ timeout: 60_000 });
    const show = poster.getByRole('button', { name: 'Show image (3.0 MiB)' });
    await show.waitFor({ timeout: 30_000 });
    await expect(poster.getByRole('img').count()).resolves.toBe(0);
    // Only the GIF's link was asked for: the large image was not fetched.
    expect(benLinks.slice(asked)).toHaveLength(1);
    expect(benLinks.at(-1)).toContain(uploadedId('image/gif', uploaded));

    await show.focus();
    await benPage.keyboard.press('Enter');
    const preview = poster.getByRole('img', { name: 'poster.png' });
    await preview.waitFor({ timeout: 60_000 });
    await expect(preview.evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth))).resolves.toBe(3);
    expect(benLinks.slice(asked)).toHaveLength(2);
    expect(sha256((await save(benPage, 'poster.png')).bytes)).toBe(sha256(large));
  });

  it('raised no CSP violation, dialog or page error', () => {
    expect(incidents.violations).toEqual([]);
    expect(incidents.dialogs).toEqual([]);
    // The refused downloads of the renewal step, as chromium logs them.
    expect(incidents.errors.filter((e) => !/status of 410/.test(e))).toEqual([]);
  });
});

import type { Browser, BrowserContext } from 'playwright-core';
import request from 'supertest';
import { launchChromium } from '../support/browser.js';
import { bytesBody } from '../support/files.js';
import { ServerProcess } from '../support/server.js';

/**
 * The app can be installed: /manifest.webmanifest is served as application/manifest+json with a
 * name, standalone display, colours and icons (192, 512, maskable) that load as PNGs of their stated
 * sizes; the page links it, the CSP lets chromium fetch it, and chromium reads it without an error.
 */
let server: ServerProcess;
let browser: Browser;
let context: BrowserContext;

interface ManifestIcon {
  src: string;
  sizes: string;
  type: string;
  purpose?: string;
}

beforeAll(async () => {
  [server, browser] = await Promise.all([ServerProcess.start(), launchChromium()]);
  context = await browser.newContext({ ignoreHTTPSErrors: true });
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
});

const get = (path: string) => request(server.origin).get(path).ca(server.certificate).buffer(true).parse(bytesBody);

/** A PNG's width and height, from its IHDR chunk (after checking the signature). */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(bytes.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('the web app manifest', () => {
  it('is served as application/manifest+json, and each of its icons loads as a PNG of its stated size', async () => {
    const res = await get('/manifest.webmanifest').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/manifest\+json\b/);
    const manifest = JSON.parse((res.body as Buffer).toString('utf8'));
    expect(manifest).toMatchObject({ name: 'Conclave', short_name: 'Conclave', start_url: '/', scope: '/', display: 'standalone' });
    expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i);
    expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/i);

    const icons = manifest.icons as ManifestIcon[];
    expect(icons.map((i) => `${i.sizes} ${i.purpose ?? 'any'}`).sort()).toEqual(['192x192 any', '512x512 any', '512x512 maskable']);
    for (const icon of icons) {
      const image = await get(icon.src).expect(200);
      expect({ src: icon.src, type: image.headers['content-type'] }).toEqual({ src: icon.src, type: icon.type });
      const { width, height } = pngSize(image.body as Buffer);
      expect(`${width}x${height}`).toBe(icon.sizes);
    }
  });

  it('is linked from every page, allowed by its CSP, and read by chromium without an error', async () => {
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    const answer = await page.goto(`${server.origin}/sign-in`, { waitUntil: 'networkidle' });
    expect(answer?.headers()['content-security-policy']).toContain("manifest-src 'self'");
    expect(await page.locator('link[rel="manifest"]').getAttribute('href')).toBe('manifest.webmanifest');

    const cdp = await context.newCDPSession(page);
    const { url, errors, data } = (await cdp.send('Page.getAppManifest')) as { url: string; errors: Array<{ message: string }>; data?: string };
    expect(url).toBe(`${server.origin}/manifest.webmanifest`);
    expect(errors).toEqual([]);
    expect(JSON.parse(data!)).toMatchObject({ name: 'Conclave', display: 'standalone' });
    expect(violations).toEqual([]);
    await page.close();
  });
});

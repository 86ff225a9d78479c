import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { REPO_ROOT, ServerProcess } from '../support/server.js';

let server: ServerProcess;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  [server, browser] = await Promise.all([ServerProcess.start(), launchChromium()]);
  // The self-signed certificate is what a first-time user meets; the browser is told to accept it.
  context = await browser.newContext({ ignoreHTTPSErrors: true });
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
});

/** Opens a page that records CSP violations (as the DOM reports them) and console errors. */
async function openWatched(path: string): Promise<{ page: Page; violations: string[]; errors: string[] }> {
  const page = await context.newPage();
  const violations: string[] = [];
  const errors: string[] = [];
  await page.exposeFunction('reportCspViolation', (text: string) => violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as unknown as { reportCspViolation(t: string): void }).reportCspViolation(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${server.origin}${path}`, { waitUntil: 'networkidle' });
  return { page, violations, errors };
}

describe('landing page in chromium', () => {
  it('renders Conclave with its entry points and no CSP violation', async () => {
    const { page, violations, errors } = await openWatched('/');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Conclave');
    expect(await page.title()).toBe('Conclave');
    expect(await page.getByRole('link', { name: 'Create account' }).getAttribute('href')).toBe('/sign-up');
    expect(await page.getByRole('link', { name: 'Sign in' }).getAttribute('href')).toBe('/sign-in');
    // Served over HTTPS, the page can encrypt: no "cannot encrypt" alert.
    expect(await page.getByRole('alert').count()).toBe(0);
    // Angular's component styles were applied (they are nonce-tagged <style> elements).
    const actionsDisplay = await page.locator('.actions').evaluate((el) => getComputedStyle(el).display);
    expect(actionsDisplay).toBe('flex');

    const output = join(REPO_ROOT, 'test-output');
    mkdirSync(output, { recursive: true });
    await page.screenshot({ path: join(output, 'landing.png'), fullPage: true });

    expect(violations).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('navigates to an entry point client-side and deep-links into it', async () => {
    const { page, violations } = await openWatched('/');
    await page.getByRole('link', { name: 'Create account' }).click();
    await page.waitForURL('**/sign-up');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Create your account');
    await page.goto(`${server.origin}/sign-in`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in to Conclave');
    expect(violations).toEqual([]);
    await page.close();
  });

  it('blocks an injected inline script (the CSP is enforced, not just sent)', async () => {
    const { page, violations } = await openWatched('/');
    const ran = await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__injected = true;';
      document.body.appendChild(script);
      return (window as unknown as { __injected?: boolean }).__injected === true;
    });
    expect(ran).toBe(false);
    await page.waitForTimeout(100);
    expect(violations.some((v) => v.startsWith('script-src'))).toBe(true);
    await page.close();
  });
});

describe('Swagger UI in chromium', () => {
  it('renders the API documentation under its own policy, without violations', async () => {
    const { page, violations, errors } = await openWatched('/api/docs');
    await page.locator('.swagger-ui .info .title').waitFor();
    expect(await page.locator('.swagger-ui .info .title').textContent()).toContain('Conclave API');
    expect(await page.locator('.opblock-summary-path').allTextContents()).toEqual(expect.arrayContaining(['/ping', '/api/health']));
    expect(violations).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});


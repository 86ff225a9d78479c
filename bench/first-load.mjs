// Part of `npm run bench`: what a first visit downloads. Chromium opens each page on Conclave as built
// (npm run build precompresses the web app); every HTML, JavaScript and CSS response of that visit is
// then fetched again as sent for Accept-Encoding br, gzip and none, and the body bytes are added up.
// Also shows what chromium itself received (it asks for br). Prints figures; asserts nothing.
import { rmSync } from 'node:fs';
import { request } from 'node:https';
import { chromium } from 'playwright-core';
import { startConclave } from './conclave.mjs';

const PAGES = ['/', '/sign-in', '/sign-up'];
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ENCODINGS = [
  ['raw', undefined],
  ['brotli', 'br'],
  ['gzip', 'gzip'],
];
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const log = (...args) => process.stdout.write(args.join(' ') + '\n');

/** The body of `url` as sent (not decoded), for `acceptEncoding` (none: no header). */
function bytesAsSent(url, ca, acceptEncoding) {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} }, (res) => {
      let length = 0;
      res.on('data', (chunk) => (length += chunk.length));
      res.on('end', () => resolve({ length, encoding: res.headers['content-encoding'] ?? 'identity' }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The same-origin HTML, script and stylesheet responses chromium fetched to show `path`, and their encoded sizes. */
async function visit(browser, base, path) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const responses = [];
  page.on('response', (response) => responses.push(response));
  await page.goto(`${base}${path}`, { waitUntil: 'networkidle' });
  const loaded = [];
  for (const response of responses) {
    const type = response.request().resourceType();
    if (!response.url().startsWith(base) || !['document', 'script', 'stylesheet'].includes(type) || response.status() !== 200) continue;
    const { responseBodySize } = await response.request().sizes();
    loaded.push({ url: response.url(), type, received: responseBodySize, encoding: (await response.allHeaders())['content-encoding'] ?? 'identity' });
  }
  await context.close();
  return loaded;
}

const server = await startConclave();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-quic'] });
try {
  log('first load: the HTML, JavaScript and CSS a first visit downloads (body bytes as sent)');
  log(['page', 'files', 'raw', 'brotli', 'gzip', 'chromium got'].map((h, i) => (i ? h.padStart(i === 5 ? 24 : 10) : h.padEnd(10))).join(''));
  for (const path of PAGES) {
    const loaded = await visit(browser, server.base, path);
    const totals = {};
    for (const [label, accept] of ENCODINGS) {
      totals[label] = 0;
      for (const { url } of loaded) totals[label] += (await bytesAsSent(url, server.ca, accept)).length;
    }
    const received = loaded.reduce((sum, file) => sum + file.received, 0);
    const encodings = [...new Set(loaded.map((file) => file.encoding))].join('+');
    log(
      [path.padEnd(10), String(loaded.length).padStart(10), kb(totals.raw).padStart(10), kb(totals.brotli).padStart(10), kb(totals.gzip).padStart(10), `${kb(received)} (${encodings})`.padStart(24)].join(''),
    );
    if (process.env.BENCH_VERBOSE) for (const file of loaded) log(`  ${file.type.padEnd(10)} ${file.url.slice(server.base.length)} ${kb(file.received)} ${file.encoding}`);
  }
} finally {
  await browser.close();
  server.child.kill('SIGTERM');
  await new Promise((r) => server.child.once('exit', r));
  rmSync(server.dataDir, { recursive: true, force: true });
}

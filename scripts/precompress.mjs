// Precompresses the built web app (apps/web/dist/browser) once at build time, so the server sends
// brotli or gzip without compressing per request: FILE.br (brotli, quality 11) and FILE.gz (gzip,
// level 9) beside each text asset. index.html is left alone: the server fills in a CSP nonce per
// response, so it compresses that page itself. A variant that would not be smaller is not written.
// Also prints what a first visit transfers: index.html and the files it loads, raw / brotli / gzip.
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export const WEB_DIST = fileURLToPath(new URL('../apps/web/dist/browser/', import.meta.url));
const COMPRESSIBLE = new Set(['.js', '.mjs', '.css', '.svg', '.json', '.webmanifest', '.txt', '.map', '.html', '.xml', '.ico']);
/** Not served as a file: the server renders it with each response's nonce. */
const TEMPLATE = 'index.html';
const VARIANTS = [
  { suffix: '.br', compress: (bytes) => brotliCompress(bytes, 11) },
  { suffix: '.gz', compress: (bytes) => gzipSync(bytes, { level: 9 }) },
];

export function brotliCompress(bytes, quality) {
  return brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: quality, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT },
  });
}

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

/** Writes the missing or stale .br/.gz variants under `dir`; removes variants whose file is gone. */
export function precompress(dir = WEB_DIST) {
  let written = 0;
  for (const path of files(dir)) {
    const variant = VARIANTS.find((v) => path.endsWith(v.suffix));
    if (variant) {
      if (!statSync(path.slice(0, -variant.suffix.length), { throwIfNoEntry: false })) rmSync(path);
      continue;
    }
    if (!COMPRESSIBLE.has(extname(path)) || relative(dir, path) === TEMPLATE) continue;
    const source = statSync(path);
    let bytes;
    for (const { suffix, compress } of VARIANTS) {
      const target = statSync(path + suffix, { throwIfNoEntry: false });
      if (target && target.mtimeMs >= source.mtimeMs) continue;
      bytes ??= readFileSync(path);
      const compressed = compress(bytes);
      if (compressed.length < bytes.length) {
        writeFileSync(path + suffix, compressed);
        written++;
      } else if (target) rmSync(path + suffix);
    }
  }
  return written;
}

/** The files a first visit downloads before any route's chunk: index.html and what it references. */
export function firstLoadFiles(dir = WEB_DIST) {
  const html = readFileSync(join(dir, TEMPLATE), 'utf8');
  const referenced = [...html.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => m[1]);
  return [TEMPLATE, ...new Set(referenced)];
}

/** Raw, brotli and gzip bytes of `names` (the variants on disk; index.html compressed as the server does). */
export function transferSizes(names, dir = WEB_DIST) {
  const total = { raw: 0, br: 0, gzip: 0 };
  for (const name of names) {
    const raw = readFileSync(join(dir, name));
    const variant = (suffix, make) => statSync(join(dir, name + suffix), { throwIfNoEntry: false })?.size ?? (name === TEMPLATE ? make(raw).length : raw.length);
    total.raw += raw.length;
    total.br += variant('.br', (b) => brotliCompress(b, 5));
    total.gzip += variant('.gz', (b) => gzipSync(b, { level: 6 }));
  }
  return total;
}

export const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

export function printFirstLoad(dir = WEB_DIST) {
  const names = firstLoadFiles(dir);
  const { raw, br, gzip } = transferSizes(names, dir);
  console.log(`build: first load (${names.join(', ')}): ${kb(raw)} raw, ${kb(br)} brotli, ${kb(gzip)} gzip`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`precompress: ${precompress()} variants written`);
  printFirstLoad();
}

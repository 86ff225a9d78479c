#!/usr/bin/env node
// Draws the web app's install icons (apps/web/public/icons/*.png) from the favicon's shapes
// (apps/web/public/favicon.svg: a light padlock on the accent blue), with no dependency: the
// shapes are sampled 4×4 per pixel and written as RGBA PNGs with node:zlib.
//   node scripts/make-icons.mjs
// "any" icons keep the favicon's rounded square on a transparent ground; the maskable one fills
// the whole square and keeps the padlock inside the safe zone (a centred circle of 40% radius).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '../apps/web/public/icons');
const BG = [0x1f, 0x3a, 0x5f, 255];
const FG = [0xe8, 0xee, 0xf6, 255];
const NONE = [0, 0, 0, 0];
const SAMPLES = 4;

/** Inside a rectangle with rounded corners (favicon units). */
function inRoundRect(x, y, left, top, width, height, r) {
  if (x < left || y < top || x > left + width || y > top + height) return false;
  const cx = Math.min(Math.max(x, left + r), left + width - r);
  const cy = Math.min(Math.max(y, top + r), top + height - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

/** On the shackle: the path M20 28 v-6 a12 12 0 0 1 24 0 v6, stroked 5 wide with round caps. */
function onShackle(x, y) {
  const half = 2.5;
  const toSegment = (sx) => Math.hypot(x - sx, y < 22 ? 22 - y : y > 28 ? y - 28 : 0);
  if (toSegment(20) <= half || toSegment(44) <= half) return true;
  return y <= 22 && Math.abs(Math.hypot(x - 32, y - 22) - 12) <= half;
}

/** The colour at a point of the favicon's 64×64 canvas; `fullBleed`: no rounded corners. */
function colourAt(x, y, fullBleed) {
  let colour = fullBleed || inRoundRect(x, y, 0, 0, 64, 64, 14) ? BG : NONE;
  if (onShackle(x, y) || inRoundRect(x, y, 14, 28, 36, 24, 5)) colour = FG;
  if (Math.hypot(x - 32, y - 40) <= 4) colour = BG;
  return colour;
}

/** RGBA pixels of an icon `size` wide; the padlock scaled by `scale` around its centre. */
function draw(size, { fullBleed, scale }) {
  const pixels = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const u = ((px + (sx + 0.5) / SAMPLES) / size) * 64;
          const v = ((py + (sy + 0.5) / SAMPLES) / size) * 64;
          const [r, g, b, a] = colourAt(32 + (u - 32) / scale, 31 + (v - 31) / scale, fullBleed);
          sum[0] += r * a;
          sum[1] += g * a;
          sum[2] += b * a;
          sum[3] += a;
        }
      }
      const o = (py * size + px) * 4;
      const alpha = sum[3] / SAMPLES ** 2;
      for (let c = 0; c < 3; c++) pixels[o + c] = sum[3] ? Math.round(sum[c] / sum[3]) : 0;
      pixels[o + 3] = Math.round(alpha);
    }
  }
  return pixels;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function png(size, pixels) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(6, 9); // RGBA
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) pixels.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4); // filter 0 per row
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

mkdirSync(OUT, { recursive: true });
const icons = [
  { file: 'icon-192.png', size: 192, fullBleed: false, scale: 1 },
  { file: 'icon-512.png', size: 512, fullBleed: false, scale: 1 },
  // The padlock reaches 27.7 units from its centre: × 0.75 keeps it within the 25.6-unit safe zone.
  { file: 'icon-maskable-512.png', size: 512, fullBleed: true, scale: 0.75 },
];
for (const { file, size, ...options } of icons) {
  writeFileSync(join(OUT, file), png(size, draw(size, options)));
  console.log(`apps/web/public/icons/${file} (${size}×${size})`);
}

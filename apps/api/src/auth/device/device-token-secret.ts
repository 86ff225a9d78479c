import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppConfig } from '../../config/app-config.js';

export const DEVICE_TOKEN_SECRET = Symbol('DEVICE_TOKEN_SECRET');

/**
 * The key that signs device tokens: LOGIN_DEVICE_SECRET, or DATA_DIR/device-token.secret (made at
 * random on first start, readable by the server's user only). Never the database: with a dump of it,
 * anyone could mint a token for any username and get past its lockout.
 */
export async function loadDeviceTokenSecret(config: AppConfig): Promise<Buffer> {
  if (config.auth.deviceTokens.secret !== undefined) return Buffer.from(config.auth.deviceTokens.secret);
  const file = join(config.dataDir, 'device-token.secret');
  const existing = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (existing?.trim()) return Buffer.from(existing.trim());
  const secret = randomBytes(32).toString('base64url');
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return Buffer.from(secret);
}

import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config.js';
import { readOrCreateSecretFile } from '../../security/secrets/secret-file.js';

export const DEVICE_TOKEN_SECRET = Symbol('DEVICE_TOKEN_SECRET');

/**
 * The key that signs device tokens: LOGIN_DEVICE_SECRET, or DATA_DIR/device-token.secret (made at
 * random on first start, readable by the server's user only). Never the database: with a dump of it,
 * anyone could mint a token for any username and get past its lockout.
 */
export async function loadDeviceTokenSecret(config: AppConfig): Promise<Buffer> {
  if (config.auth.deviceTokens.secret !== undefined) return Buffer.from(config.auth.deviceTokens.secret);
  const log = new Logger('DeviceTokens');
  return Buffer.from(await readOrCreateSecretFile(join(config.dataDir, 'device-token.secret'), (message) => log.warn(message)));
}

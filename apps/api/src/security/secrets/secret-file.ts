import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError } from '../../config/config-error.js';

/** Shortest secret accepted from a file (the same bound as SESSION_SECRET). */
const MIN_LENGTH = 32;

/**
 * A secret kept in a file only this server's user can read (mode 0600): read it, or create it on
 * first start with 32 random bytes. A file others could read (a restore under another
 * umask, a careless copy) is made 0600 again, and `warn` says so: the operator decides whether the
 * secret may have leaked.
 */
export async function readOrCreateSecretFile(file: string, warn: (message: string) => void): Promise<string> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  try {
    const handle = await open(file, 'wx', 0o600);
    const secret = randomBytes(32).toString('base64url');
    await handle.writeFile(secret + '\n');
    await handle.close();
    return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const { mode } = await stat(file);
  if (mode & 0o077) {
    await chmod(file, 0o600);
    warn(`${file} could be read by other users (mode ${(mode & 0o777).toString(8)}); it is 0600 now. If anyone else may have read it, delete it and restart: everyone signs in again`);
  }
  const secret = (await readFile(file, 'utf8')).trim();
  if (secret.length < MIN_LENGTH) throw new ConfigError('DATA_DIR', `${file} holds no secret of at least ${MIN_LENGTH} characters: delete it to make a new one`);
  return secret;
}

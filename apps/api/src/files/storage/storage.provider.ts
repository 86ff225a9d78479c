import { join } from 'node:path';
import { Logger, type Provider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { readOrCreateSecretFile } from '../../security/secrets/secret-file.js';
import { FILE_STORAGE, type FileStorage } from '../file-storage.js';
import { FirebaseFileStorage } from './firebase.storage.js';
import { LocalFileStorage } from './local.storage.js';

/** The FileStorage FILE_STORAGE chooses, made once at start (a bad setting stops the start). */
export const fileStorageProvider: Provider = {
  provide: FILE_STORAGE,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig): Promise<FileStorage> => createFileStorage(config),
};

export async function createFileStorage(config: AppConfig): Promise<FileStorage> {
  const storage = config.files.storage;
  switch (storage.driver) {
    case 'local': {
      const log = new Logger('FileStorage');
      const secret = storage.linkSecret ?? (await readOrCreateSecretFile(join(config.dataDir, 'file-link.secret'), (message) => log.warn(message)));
      return new LocalFileStorage(storage.directory, secret);
    }
    // ── Storage drivers: one case per driver. The firebase driver (storage/firebase.storage.ts) adds its case here. ──
    case 'firebase':
      return new FirebaseFileStorage(storage);
  }
}

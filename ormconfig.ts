// TypeORM DataSource for the migration CLI (`npm run migration:show|run|revert`), with the app's own
// options. It loads the compiled API (the scripts build it first); Node strips this file's types.
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './apps/api/dist/database/data-source-options.js';

const url = process.env.DATABASE_URL;
if (!url) {
  throw new Error('DATABASE_URL is required for the migration CLI (the server runs pending migrations itself at start)');
}

export default new DataSource({ ...dataSourceOptions(url), entities: ['apps/api/dist/**/*.entity.js'] });

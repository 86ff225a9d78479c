import { MIGRATIONS } from '../../apps/api/dist/database/migrations/index.js';

/** The names of every migration the API ships, oldest first (what a started server must have applied). */
export const MIGRATION_NAMES: string[] = MIGRATIONS.map((migration) => migration.name);

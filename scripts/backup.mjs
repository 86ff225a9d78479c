// `npm run backup -- [FILE]`: a consistent copy of the database Conclave uses (DATABASE_URL, or the
// embedded one in DATA_DIR, also while the server runs) in one file; README "Backup and restore".
import { build } from './build.mjs';

build();
const { backupCommand } = await import('../apps/api/dist/backup/cli.js');
process.exit(await backupCommand(process.argv.slice(2), process.env));

// `npm run restore -- FILE [--replace]`: a backup into the database Conclave would use (DATABASE_URL,
// or the embedded one in DATA_DIR), which must be empty unless --replace; README "Backup and restore".
import { build } from './build.mjs';

build();
const { restoreCommand } = await import('../apps/api/dist/backup/cli.js');
process.exit(await restoreCommand(process.argv.slice(2), process.env));

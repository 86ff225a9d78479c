// `npm run admin -- grant NAME | revoke NAME | list`: site admins, on the database Conclave uses
// (DATABASE_URL, or the embedded one in DATA_DIR, also while the server runs); README "Site admins".
import { build } from './build.mjs';

build();
const { adminCommand } = await import('../apps/api/dist/admin/cli.js');
process.exit(await adminCommand(process.argv.slice(2), process.env));

// `npm start`: build what is not built, then run the server in this same process, so Ctrl-C and
// SIGTERM reach it directly and it can shut down the embedded PostgreSQL cleanly.
import { build } from './build.mjs';

build();
await import('../apps/api/dist/main.js');

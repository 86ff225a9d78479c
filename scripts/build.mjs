// Builds what is out of date: libs and the API through `tsc -b` (incremental by design), the Angular
// app when a source is newer than its last build (or always, with --force), then brotli and gzip
// variants of the web app's assets (scripts/precompress.mjs), which the server sends when accepted.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { precompress, printFirstLoad } from './precompress.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (path) => join(root, 'node_modules', path);

function run(label, args) {
  const started = Date.now();
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`build: ${label} failed`);
    process.exit(result.status ?? 1);
  }
  console.log(`build: ${label} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function newestMtime(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}

export function build({ force = false } = {}) {
  run('libs + api (tsc -b)', [bin('typescript/bin/tsc'), '-b', 'apps/api/tsconfig.build.json']);
  const webInputs = ['apps/web/src', 'apps/web/public', 'apps/web/tsconfig.json', 'apps/web/tsconfig.app.json', 'angular.json', 'libs/contracts/dist'];
  const builtAt = newestMtime(join(root, 'apps/web/dist/browser/index.html'));
  if (force || builtAt === 0 || Math.max(...webInputs.map((p) => newestMtime(join(root, p)))) > builtAt) {
    run('web (ng build)', [bin('@angular/cli/bin/ng.js'), 'build']);
  }
  const started = Date.now();
  const written = precompress();
  console.log(`build: precompress (brotli, gzip) done in ${((Date.now() - started) / 1000).toFixed(1)} s, ${written} variants written`);
  printFirstLoad();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) build({ force: process.argv.includes('--force') });

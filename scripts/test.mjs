// `npm test`: build, type-check the suites, run the Node-side suites (jest: API over real HTTPS and
// PostgreSQL, browser through chromium) and the Angular unit tests (vitest), then print one total.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from './build.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'test-output');
const bin = (path) => join(root, 'node_modules', path);
const extraArgs = process.argv.slice(2);

build();
mkdirSync(out, { recursive: true });

function step(label, args, env = {}) {
  console.log(`\n=== ${label}`);
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status === 0;
}

function counts(file, read) {
  try {
    return read(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return { passed: 0, failed: 1 }; // no report: the runner itself failed
  }
}

const typecheck = step('type-check (tests)', [bin('typescript/bin/tsc'), '-p', 'test/tsconfig.json']);

rmSync(join(out, 'jest.json'), { force: true });
step('jest: api + browser', [bin('jest/bin/jest.js'), '--json', `--outputFile=${join(out, 'jest.json')}`, ...extraArgs], {
  NODE_OPTIONS: [process.env.NODE_OPTIONS, '--experimental-vm-modules', '--no-warnings=ExperimentalWarning'].filter(Boolean).join(' '),
});
const jest = counts(join(out, 'jest.json'), (r) => ({ passed: r.numPassedTests, failed: r.numFailedTests + r.numRuntimeErrorTestSuites }));

rmSync(join(out, 'web.json'), { force: true });
step('web unit tests (ng test)', [bin('@angular/cli/bin/ng.js'), 'test', '--reporters=default', '--reporters=json', `--output-file=${join(out, 'web.json')}`]);
const web = counts(join(out, 'web.json'), (r) => ({ passed: r.numPassedTests, failed: r.numFailedTests + (r.success ? 0 : r.numFailedTestSuites || 0) }));

const passed = jest.passed + web.passed;
const failed = jest.failed + web.failed + (typecheck ? 0 : 1);
console.log(`\nconclave: jest ${jest.passed} passed, ${jest.failed} failed; web ${web.passed} passed, ${web.failed} failed; type-check ${typecheck ? 'ok' : 'FAILED'}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);

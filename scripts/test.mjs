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

/** Runs one step; returns undefined when it exited 0, else how it failed. */
function step(label, args, env = {}) {
  console.log(`\n=== ${label}`);
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.error) return `could not start (${result.error.message})`;
  if (result.signal) return `was killed by ${result.signal}`;
  return result.status === 0 ? undefined : `exited with code ${result.status}`;
}

/**
 * A runner's counts from its JSON report, trusted only together with its exit code: a runner that
 * crashes outside a test (a failing hook or setup file, an unhandled error, a kill) may report every
 * test passed, or write no report at all. Either way it counts as one failure, and says so.
 */
function outcome(runner, exitFailure, file, read) {
  let counts;
  try {
    counts = read(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return { passed: 0, failed: 1, problem: `${runner} wrote no report (${file})${exitFailure ? ` and ${exitFailure}` : ''}` };
  }
  if (!exitFailure) return counts;
  if (counts.failed > 0) return { ...counts, problem: `${runner} ${exitFailure}` };
  return { ...counts, failed: 1, problem: `${runner} ${exitFailure} although its report counts no failed test` };
}

const typecheckExit = step('type-check (tests)', [bin('typescript/bin/tsc'), '-p', 'test/tsconfig.json']);

rmSync(join(out, 'jest.json'), { force: true });
const jestExit = step('jest: api + browser', [bin('jest/bin/jest.js'), '--json', `--outputFile=${join(out, 'jest.json')}`, ...extraArgs], {
  NODE_OPTIONS: [process.env.NODE_OPTIONS, '--experimental-vm-modules', '--no-warnings=ExperimentalWarning'].filter(Boolean).join(' '),
});
const jest = outcome('jest', jestExit, join(out, 'jest.json'), (r) => ({ passed: r.numPassedTests, failed: r.numFailedTests + r.numRuntimeErrorTestSuites }));

rmSync(join(out, 'web.json'), { force: true });
const webExit = step('web unit tests (ng test)', [bin('@angular/cli/bin/ng.js'), 'test', '--reporters=default', '--reporters=json', `--output-file=${join(out, 'web.json')}`]);
const web = outcome('ng test', webExit, join(out, 'web.json'), (r) => ({ passed: r.numPassedTests, failed: r.numFailedTests + (r.success ? 0 : r.numFailedTestSuites || 0) }));

const passed = jest.passed + web.passed;
const failed = jest.failed + web.failed + (typecheckExit ? 1 : 0);
console.log('');
for (const problem of [typecheckExit && `type-check ${typecheckExit}`, jest.problem, web.problem].filter(Boolean)) console.log(`conclave: FAILED: ${problem}`);
console.log(`conclave: jest ${jest.passed} passed, ${jest.failed} failed; web ${web.passed} passed, ${web.failed} failed; type-check ${typecheckExit ? 'FAILED' : 'ok'}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);

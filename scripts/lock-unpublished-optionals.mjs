// Keeps `npm ci` working with this project's registry, which does not serve every platform build of
// some native packages (e.g. @oxc-parser/binding-darwin-arm64 answers 404). `npm install` skips such
// an optional dependency and leaves it out of package-lock.json, after which `npm ci` refuses the
// lock ("Missing: … from lock file"). This records each one in the lock with the platform its name
// states, so npm sees it, finds it is not for this machine, and skips it without fetching.
// Run after `npm install` when `npm ci --dry-run` reports "Missing:".
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const OS = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openharmony', 'netbsd', 'openbsd', 'sunos', 'aix'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 'riscv64', 's390x', 'loong64', 'wasm32', 'mips64el'];

function missing() {
  try {
    execFileSync('npm', ['ci', '--dry-run', '--no-audit', '--no-fund'], { stdio: 'pipe' });
    return [];
  } catch (err) {
    return [...String(err.stderr).matchAll(/Missing: (@?[^@\s]+)@\S* from lock file/g)].map((m) => m[1]);
  }
}

const names = missing();
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
for (const name of names) {
  const parent = Object.entries(lock.packages).find(([, p]) => p.optionalDependencies?.[name]);
  if (!parent) throw new Error(`no package in the lock declares ${name}`);
  const tail = name.split('/').pop();
  const os = OS.filter((o) => tail.includes(`-${o}`));
  const cpu = CPU.filter((c) => new RegExp(`-${c}(?:-|$)`).test(tail));
  if (cpu.length === 0) throw new Error(`cannot tell the platform of ${name}; add its lock entry by hand`);
  lock.packages[`node_modules/${name}`] = {
    version: parent[1].optionalDependencies[name],
    ...(parent[1].dev ? { dev: true } : {}),
    optional: true,
    ...(os.length ? { os } : {}),
    cpu,
  };
  console.log(`recorded ${name}@${parent[1].optionalDependencies[name]} (${os.join(',') || 'any os'} / ${cpu.join(',')})`);
}
writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
console.log(names.length ? `${names.length} entries added; check with npm ci --dry-run` : 'nothing missing');

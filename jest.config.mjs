/**
 * One jest run for every Node-side suite. Nest 12 and our packages are ES modules, so tests run as
 * ESM (NODE_OPTIONS=--experimental-vm-modules, set by the npm scripts) and ts-jest only transpiles;
 * `npm run typecheck` does the type checking.
 */
const esm = {
  testEnvironment: 'node',
  setupFilesAfterEnv: ['<rootDir>/test/support/cleanup.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/test/tsconfig.json' }] },
};

export default {
  // Suites start real servers, PostgreSQL clusters and browsers (a global option: projects ignore it).
  testTimeout: 60_000,
  projects: [
    { ...esm, displayName: 'crypto', rootDir: '.', testMatch: ['<rootDir>/libs/crypto/test/**/*.spec.ts'] },
    // End-to-end suites, and the in-process specs beside the API's sources.
    { ...esm, displayName: 'api', rootDir: '.', testMatch: ['<rootDir>/test/api/**/*.e2e-spec.ts', '<rootDir>/apps/api/src/**/*.spec.ts'] },
    { ...esm, displayName: 'browser', rootDir: '.', testMatch: ['<rootDir>/test/browser/**/*.e2e-spec.ts'] },
  ],
};

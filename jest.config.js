/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  // One private TMPDIR for the whole run, removed at its end (test/support/temp-root.js); and the Kubernetes control
  // plane, built or found in the cache, when a selected test file uses it (test/support/global-setup.ts).
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/temp-root.js',
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
  // Jest's default (CPUs - 1) is a single worker on a 2-CPU machine, which runs every file one after another;
  // many files here wait on child processes (synth, helm/kubectl stand-ins), so one worker per CPU nearly
  // halves the wall time there.
  maxWorkers: '100%',
};

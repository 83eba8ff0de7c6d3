/**
 * Unit specs next to the code, end-to-end tests in test/ against the real PostgreSQL and Redis, and the fault
 * tests (test/faults/) that kill and pause processes of their own. Type errors are caught by
 * `npm run typecheck`; Jest only transpiles (isolatedModules), which keeps it fast.
 */
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }] };

// The fault tests take minutes and need root or PostgreSQL binaries: only when asked for
// (`npm run test:faults`, `--selectProjects faults`, or a path under test/faults).
const wantsFaults = process.argv.some(
  (a, i, all) =>
    /faults/.test(a) &&
    (all[i - 1] === '--selectProjects' || /^--selectProjects=/.test(a) || /fault-spec/.test(a)),
);
module.exports = {
  testTimeout: 60000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
      transform,
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      transform,
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    },
    ...(wantsFaults
      ? [
          {
            displayName: 'faults',
            testEnvironment: 'node',
            rootDir: '.',
            testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'],
            transform,
            globalSetup: '<rootDir>/test/faults/support/global-setup.ts',
            globalTeardown: '<rootDir>/test/faults/support/global-teardown.ts',
          },
        ]
      : []),
  ],
};

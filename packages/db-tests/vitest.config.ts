import { globalSetup, workspaceSource } from '@gym/testing/vitest';
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  // Workspace packages load from their TypeScript source (the "@gym/source" export condition): no build first.
  plugins: [workspaceSource()],
  test: {
    include: ['src/**/*.test.ts'],
    // Tests of the container path itself need a container runtime that answers: they run where the harness
    // is told to use containers (.ci/containers.sh), and are not collected elsewhere.
    exclude: [
      ...configDefaults.exclude,
      ...(process.env.GYM_TEST_SERVER === 'testcontainers' ? [] : ['src/**/*.containers.test.ts']),
      // A step that proves something else than the suites themselves (.ci/containers.sh: the way to a server)
      // may leave out files that every version's run proves already, to stay within its budget.
      ...(process.env.GYM_EXCLUDE_SUITES?.split(',').filter(Boolean) ?? []),
    ],
    globalSetup: [globalSetup],
    // Each file gets its own database, so files run in parallel; the machine has 2 cores.
    pool: 'forks',
    maxWorkers: 4,
    // In CI a JSON report too, which .ci/run turns into one "N passed, N failed" line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    typecheck: {
      enabled: true,
      only: false,
      include: ['src/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
  },
});

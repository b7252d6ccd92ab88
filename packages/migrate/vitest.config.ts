import { defineConfig } from 'vitest/config';

// The unit project: the engine's pure logic, no server. Its runs against real PostgreSQL are in @gym/db-tests.
export default defineConfig({
  test: {
    name: 'migrate',
    include: ['test/**/*.test.ts'],
    // Some tests start processes (tsx, squawk) on a shared machine beside other suites: a bound for a hung
    // process, not a claim about speed.
    testTimeout: 60_000,
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
  },
});

import { defineConfig } from 'vitest/config';

// Unit tests only: the embedded server itself is proven against real PostgreSQL in @gym/db-tests.
export default defineConfig({
  test: {
    name: 'local-pg',
    include: ['test/**/*.test.ts'],
    // Some tests start processes (tsx, squawk) on a shared machine beside other suites: a bound for a hung
    // process, not a claim about speed.
    testTimeout: 60_000,
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
  },
});

import { defineConfig } from 'vitest/config';

// The unit project: pure logic of the migrator, no server. The integration suites are in @gym/db-tests.
export default defineConfig({
  test: {
    name: 'unit',
    include: ['test/**/*.test.ts'],
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
  },
});

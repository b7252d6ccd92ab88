import { defineConfig } from 'vitest/config';

// The unit project: the engine's pure logic, no server. Its runs against real PostgreSQL are in @gym/db-tests.
export default defineConfig({
  test: {
    name: 'migrate',
    include: ['test/**/*.test.ts'],
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
  },
});

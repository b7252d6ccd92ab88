import { defineConfig } from 'vitest/config';

// Unit tests only: the embedded server itself is proven against real PostgreSQL in @gym/db-tests.
export default defineConfig({
  test: {
    name: 'local-pg',
    include: ['test/**/*.test.ts'],
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
  },
});

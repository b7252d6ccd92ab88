import { defineConfig } from 'vitest/config';

// The CLI's unit project: flags, --help and rendering, no server. The CLI's runs are proven in @gym/db-tests.
export default defineConfig({
  test: {
    name: 'unit',
    include: ['test/**/*.test.ts'],
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
  },
});

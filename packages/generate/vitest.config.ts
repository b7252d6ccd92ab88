import { defineConfig } from 'vitest/config';

// The generator's pure parts (rules, phasing, templates): milliseconds, no server. The corpus, which applies
// generated migrations to a loaded table under traffic, is in @gym/db-tests (generate-corpus.test.ts).
export default defineConfig({
  test: {
    name: 'generate',
    include: ['test/**/*.test.ts'],
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
  },
});

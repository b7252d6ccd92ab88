// Plain JavaScript (types in vitest-preset.d.ts): vitest loads a config's imports from other packages with
// Node itself, which cannot run TypeScript on Node 20.
import { fileURLToPath } from 'node:url';

/** The export condition under which workspace packages (@gym/db) point at their TypeScript source. */
export const sourceCondition = '@gym/source';

// Vite's defaults for server environments; setting `conditions` replaces them, so they are repeated here.
const serverConditions = ['module', 'node', 'development|production'];

/**
 * Resolves workspace packages from source in every vite environment, including the one vitest runs
 * globalSetup in (top-level `resolve.conditions` does not reach it), so no test run needs a build first.
 * @returns {import('vitest/config').Plugin}
 */
export function workspaceSource() {
  return {
    name: 'gym:workspace-source',
    configEnvironment(_name, config) {
      config.resolve ??= {};
      config.resolve.conditions = [sourceCondition, ...(config.resolve.conditions ?? serverConditions)];
    },
  };
}

/** The global setup that starts the server and migrates the template database every test file copies. */
export const globalSetup = fileURLToPath(new URL('./global-setup.ts', import.meta.url));

/**
 * The vitest config of a package whose tests need a migrated database.
 * @returns {import('vitest/config').ViteUserConfig}
 */
export function databaseTestConfig() {
  return {
    plugins: [workspaceSource()],
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      globalSetup: [globalSetup],
      // Each file gets its own database, so files run in parallel; the machine has 2 cores.
      pool: 'forks',
      maxWorkers: 2,
      reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
      testTimeout: 60_000,
      hookTimeout: 120_000,
    },
  };
}

import type { Plugin, ViteUserConfig } from 'vitest/config';

/** The export condition under which workspace packages (@gym/db) point at their TypeScript source. */
export declare const sourceCondition: '@gym/source';
/** Resolves workspace packages from source in every vite environment, globalSetup's included. */
export declare function workspaceSource(): Plugin;
/** Absolute path of the global setup: starts the server, migrates the template database. */
export declare const globalSetup: string;
/**
 * The vitest config of a package whose tests need a migrated database: `export default
 * defineConfig(databaseTestConfig())` in its vitest.config.ts, then `useTestDatabase()` from
 * `@gym/testing` at the top of each test file.
 */
export declare function databaseTestConfig(): ViteUserConfig;

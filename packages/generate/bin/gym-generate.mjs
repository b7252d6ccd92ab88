#!/usr/bin/env node
// The CLI is TypeScript, and so are the drizzle-kit configs and schemas it loads: tsx runs all of them.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');

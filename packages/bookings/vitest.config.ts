import { databaseTestConfig } from '@gym/db-tests/vitest';
import { defineConfig } from 'vitest/config';

export default defineConfig(databaseTestConfig());

import { databaseTestConfig } from '@gym/testing/vitest';
import { defineConfig } from 'vitest/config';

export default defineConfig(databaseTestConfig());

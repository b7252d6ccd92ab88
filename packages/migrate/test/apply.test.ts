import { describe, expect, it } from 'vitest';
import { isConcurrentIndexStatement } from '../src/apply.js';

describe('isConcurrentIndexStatement', () => {
  it.each([
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)',
    '-- why\ncreate unique index concurrently i on t (a)',
    'DROP INDEX CONCURRENTLY IF EXISTS i',
    'REINDEX (VERBOSE) INDEX CONCURRENTLY i',
    'REINDEX TABLE CONCURRENTLY t',
  ])('%j runs without lock_timeout', (sql) => expect(isConcurrentIndexStatement(sql)).toBe(true));

  it.each([
    'CREATE INDEX i ON t (a)',
    "DO $$ BEGIN RAISE NOTICE 'CREATE INDEX CONCURRENTLY'; END $$",
    'ALTER TABLE t ADD COLUMN c int',
    '-- CREATE INDEX CONCURRENTLY i ON t (a)\nSELECT 1',
  ])('%j keeps lock_timeout', (sql) => expect(isConcurrentIndexStatement(sql)).toBe(false));
});

import { describe, expect, it } from 'vitest';
import { isConcurrentIndexStatement } from '../src/apply.js';
import { count, duration } from '../src/args.js';
import { createRenderer, formatMs, noticeToEvent } from '../src/events.js';

describe('duration flags', () => {
  it.each([
    ['500ms', 500],
    ['2s', 2000],
    ['1.5s', 1500],
    ['1m', 60_000],
    ['250', 250],
    [' 3s ', 3000],
  ])('%j is %d ms', (raw, ms) => expect(duration('lock-wait', raw)).toBe(ms));

  it.each(['', '-1s', '2h', 'soon', '1 s'])('refuses %j with a usage error naming the flag', (raw) => {
    expect(() => duration('lock-wait', raw)).toThrowError(
      expect.objectContaining({ exitCode: 2, message: expect.stringContaining('--lock-wait takes a duration') }),
    );
  });

  it('counts are whole numbers', () => {
    expect(count('lock-retries', '0')).toBe(0);
    expect(count('lock-retries', undefined)).toBeUndefined();
    expect(() => count('lock-retries', '2.5')).toThrowError(expect.objectContaining({ exitCode: 2 }));
  });
});

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

describe('events', () => {
  it('turns a progress NOTICE into a progress event, and anything else into a notice', () => {
    expect(noticeToEvent('0002', 'progress archive rows=5000 of ~1000000 rate=120000/s')).toEqual({
      event: 'progress',
      tag: '0002',
      step: 'archive',
      rows: 5000,
      rate: 120000,
      detail: 'of ~1000000 rate=120000/s',
    });
    expect(noticeToEvent('0002', 'progress restore rows=3')).toMatchObject({ rows: 3, rate: null });
    expect(noticeToEvent('0002', 'relation exists, skipping')).toEqual({
      event: 'notice',
      tag: '0002',
      message: 'relation exists, skipping',
    });
  });

  it('renders every line through the redactor, as text or as JSON', () => {
    const lines: string[] = [];
    const redact = (s: string) => s.replaceAll('secret', '***');
    createRenderer({ json: false, redact, write: (l) => lines.push(l) })({
      event: 'connect_retry',
      attempt: 1,
      delayMs: 250,
      reason: 'password secret rejected',
    });
    createRenderer({ json: true, redact, write: (l) => lines.push(l) })({
      event: 'notice',
      tag: 't',
      message: 'secret',
    });
    expect(lines[0]).toBe('waiting for the server (attempt 1, next try in 250 ms): password *** rejected');
    expect(JSON.parse(lines[1]!)).toMatchObject({ event: 'notice', message: '***' });
    expect(formatMs(999)).toBe('999 ms');
    expect(formatMs(1500)).toBe('1.50 s');
  });
});

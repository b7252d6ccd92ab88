import { describe, expect, it } from 'vitest';
import { count, duration } from '../src/args.js';

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

import { describe, expect, it } from 'vitest';
import { pgMajorFromEnv } from '../src/pg-version.js';

describe('GYM_PG_VERSION', () => {
  it('picks 15, 17 or 18, defaults to 15, and refuses anything else', () => {
    expect(pgMajorFromEnv({})).toBe('15');
    expect(pgMajorFromEnv({ GYM_PG_VERSION: '17' })).toBe('17');
    expect(pgMajorFromEnv({ GYM_PG_VERSION: '18.4' })).toBe('18');
    expect(() => pgMajorFromEnv({ GYM_PG_VERSION: '16' })).toThrowError(
      expect.objectContaining({ kind: 'usage', message: expect.stringContaining('GYM_PG_VERSION is "16"') }),
    );
  });
});

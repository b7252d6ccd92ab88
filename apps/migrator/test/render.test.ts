import { EmbeddedServerError, pgMajorFromEnv } from '@gym/local-pg';
import { LockWaitTimeoutError, UsageError } from '@gym/migrate';
import { describe, expect, it } from 'vitest';
import { createRenderer, errorContract, formatMs } from '../src/render.js';

describe('render', () => {
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

describe('errorContract', () => {
  it("gives the engine's typed errors their own exit code, the local server's the usage one, anything else 1", () => {
    expect(errorContract(new UsageError('bad', 'fix it'))).toEqual({ exitCode: 2, kind: 'usage', hint: 'fix it' });
    expect(errorContract(new LockWaitTimeoutError('held', 'wait'))).toMatchObject({
      exitCode: 3,
      kind: 'lock_timeout',
    });
    expect(errorContract(new EmbeddedServerError('no binary', 'reinstall'))).toEqual({
      exitCode: 2,
      kind: 'embedded',
      hint: 'reinstall',
    });
    // GYM_PG_VERSION=16: a setting of the local server, so a usage error (exit 2).
    let setting: unknown;
    try {
      pgMajorFromEnv({ GYM_PG_VERSION: '16' });
    } catch (err) {
      setting = err;
    }
    expect(errorContract(setting)).toMatchObject({ exitCode: 2, kind: 'usage' });
    expect(errorContract(new Error('boom'))).toEqual({ exitCode: 1, kind: 'internal', hint: undefined });
  });
});

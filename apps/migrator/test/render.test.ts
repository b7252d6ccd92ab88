import { describe, expect, it } from 'vitest';
import { createRenderer, formatMs } from '../src/render.js';

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

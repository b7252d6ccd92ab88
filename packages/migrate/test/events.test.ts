import { describe, expect, it } from 'vitest';
import { noticeToEvent } from '../src/events.js';

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
});

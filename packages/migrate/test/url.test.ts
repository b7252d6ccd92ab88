import { describe, expect, it } from 'vitest';
import {
  describeTarget,
  describeUnparsable,
  makeRedactor,
  parseDatabaseUrl,
  passwordOf,
  redactUrl,
} from '../src/url.js';

describe('parseDatabaseUrl', () => {
  it('accepts postgres:// and postgresql:// URLs, and a host given as a query parameter', () => {
    expect(parseDatabaseUrl('postgres://u:p@db.example:6543/gym').port).toBe('6543');
    expect(parseDatabaseUrl('postgresql://u@localhost/gym').hostname).toBe('localhost');
    expect(parseDatabaseUrl('postgres:///gym?host=/var/run/postgresql').searchParams.get('host')).toBe(
      '/var/run/postgresql',
    );
  });

  it.each([
    [undefined, /no database URL given/],
    ['  ', /no database URL given/],
    ['mysql://u:p@h/db', /scheme "mysql", not postgres/],
    ['not a url', /malformed/],
    ['postgres:///gym', /no host/],
  ])('refuses %j with a usage error', (raw, message) => {
    expect(() => parseDatabaseUrl(raw)).toThrowError(
      expect.objectContaining({ exitCode: 2, message: expect.stringMatching(message) }),
    );
  });

  it('never quotes the password of a URL that does not parse', () => {
    for (const raw of [
      'postgres//admin:s3cr3t-pw@host/db',
      'host=db password=s3cr3t-pw',
      'postgres://a:s3cr3t-pw@[bad/db',
    ]) {
      let message = '';
      try {
        parseDatabaseUrl(raw);
      } catch (err) {
        message = `${(err as Error).message} ${(err as { hint: string }).hint}`;
      }
      expect(message).toMatch(/malformed|scheme|host/);
      expect(message).not.toContain('s3cr3t-pw');
    }
  });
});

describe('redaction', () => {
  it('replaces the password of every URL in a text, and keeps the usage placeholder', () => {
    expect(redactUrl('to postgres://admin:hunter22@db:5432/gym and postgresql://x:y@z/w')).toBe(
      'to postgres://admin:***@db:5432/gym and postgresql://x:***@z/w',
    );
    expect(redactUrl('postgres://user:password@host:5432/db')).toBe('postgres://user:password@host:5432/db');
  });

  it('removes a bare password, raw and percent-decoded, wherever a message quotes it', () => {
    const redact = makeRedactor('p%40ss-w0rd');
    expect(redact('auth failed for p@ss-w0rd and p%40ss-w0rd')).toBe('auth failed for *** and ***');
  });

  it('leaves text alone when there is no password, and very short ones outside URLs', () => {
    expect(makeRedactor(undefined)('nothing secret')).toBe('nothing secret');
    expect(makeRedactor('ab')('a cab')).toBe('a cab');
  });

  it('finds the password of parsed and unparsable connection strings', () => {
    expect(passwordOf('postgres://u:pa%20ss@h/db')).toBe('pa%20ss');
    expect(passwordOf('postgres://u@h/db?password=qs-secret')).toBe('qs-secret');
    expect(passwordOf('postgres//u:typo-secret@h/db')).toBe('typo-secret');
    expect(passwordOf('host=h password=kw-secret')).toBe('kw-secret');
    expect(passwordOf(undefined)).toBeUndefined();
  });

  it('describes a target without credentials', () => {
    expect(describeTarget(new URL('postgres://u:secret@db.internal/gym'))).toBe('db.internal:5432/gym');
    expect(describeUnparsable('postgres//u:secret@db/gym')).toBe('***@db/gym');
    expect(describeUnparsable('garbage')).toMatch(/not shown/);
  });
});

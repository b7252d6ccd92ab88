import { UsageError } from './errors.js';

/** Checks that a connection string is a postgres:// URL before pg gets to guess at it. */
export function parseDatabaseUrl(raw: string | undefined): URL {
  if (!raw || raw.trim() === '') {
    throw new UsageError(
      'no database URL given',
      'Set DATABASE_URL (postgres://user:password@host:5432/db), pass --url, or use --embedded.',
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(
      `the database URL is malformed: ${describeUnparsable(raw)}`,
      'Use the form postgres://user:password@host:5432/db (percent-encode special characters in the password).',
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new UsageError(
      `the database URL has scheme "${url.protocol.replace(/:$/, '')}", not postgres`,
      'Use the form postgres://user:password@host:5432/db.',
    );
  }
  if (!url.hostname && !url.searchParams.get('host')) {
    throw new UsageError(
      `the database URL has no host: ${describeUnparsable(raw)}`,
      'Use the form postgres://user:password@host:5432/db.',
    );
  }
  return url;
}

/**
 * Text given as a database URL that did not parse, made safe to quote. Where its credentials are cannot be
 * known (a typo like postgres//user:secret@host, or a libpq keyword string), so everything up to the last
 * "@" is dropped, and so is any password= value. Text with neither "://" nor "@" is not quoted at all:
 * nothing says which part of it is secret.
 */
export function describeUnparsable(raw: string): string {
  const text = raw.trim();
  const at = text.lastIndexOf('@');
  if (at >= 0) {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0] ?? '';
    return `${scheme}***@${text.slice(at + 1)}`.replace(/(password\s*=\s*)[^\s&]*/gi, '$1***');
  }
  if (text.includes('://')) return text.replace(/(password\s*=\s*)[^\s&]*/gi, '$1***');
  return '(not shown: it is not of the form postgres://user:password@host:5432/db)';
}

/** The URL with its password replaced; works on strings that do not parse, too. */
export function redactUrl(raw: string): string {
  // The placeholder of the usage hints (postgres://user:password@host) stays readable.
  return raw.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^@\s]*)@/gi, (all, head: string, secret: string) =>
    secret === 'password' ? all : `${head}***@`,
  );
}

/** The human name of a database, for messages: host:port/db, never the credentials. */
export function describeTarget(url: URL): string {
  return `${url.hostname || url.searchParams.get('host')}:${url.port || 5432}${url.pathname}`;
}

/**
 * Removes a secret from any text about to be printed: URLs first, then the bare password wherever it
 * occurs (a driver message could quote it). Very short passwords are only redacted inside URLs, as
 * replacing every "a" in the output would make it unreadable; they are not secret enough to leak anyway.
 */
export function makeRedactor(password: string | undefined): (text: string) => string {
  const secret = password ? decodeURIComponent(password) : '';
  return (text) => {
    let out = redactUrl(text);
    if (secret.length >= 4) out = out.split(secret).join('***');
    if (password && password !== secret && password.length >= 4) out = out.split(password).join('***');
    return out;
  };
}

/** The password a connection string carries, parsed or not, so that it can be redacted from everything printed. */
export function passwordOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    // pg also takes the password from a query parameter.
    return parsed.password || parsed.searchParams.get('password') || undefined;
  } catch {
    // A URL that does not parse can still hold a password: user:SECRET@host, or password=SECRET.
    return /[^:/@\s]+:([^@\s/]+)@/.exec(url)?.[1] ?? /password\s*=\s*([^\s&]+)/i.exec(url)?.[1];
  }
}

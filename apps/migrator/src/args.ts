import { UsageError } from '@gym/migrate';

/** A duration flag's value in milliseconds: "500ms", "2s", "1m", or a bare number of milliseconds. */
export function duration(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw.trim());
  if (!m)
    throw new UsageError(`--${name} takes a duration like 500ms, 2s or 1m, not "${raw}"`, 'See gym-migrate --help.');
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' || m[2] === undefined ? n : m[2] === 's' ? n * 1000 : n * 60_000);
}

export function count(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw))
    throw new UsageError(`--${name} takes a whole number, not "${raw}"`, 'See gym-migrate --help.');
  return Number(raw);
}

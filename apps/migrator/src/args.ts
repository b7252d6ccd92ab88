import path from 'node:path';
import { parseArgs } from 'node:util';
import { type RunOptions, UsageError } from '@gym/migrate';
import { type Command, commands, parseOptions } from './options.js';

export type Values = ReturnType<typeof parse>['values'];

/** The command line as options.ts's table reads it. */
export function parse(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, options: parseOptions });
}

/** The command, once the flags are checked against it. */
export function commandOf(values: Values, positionals: string[]): Command {
  const command = positionals[0];
  if (!commands.includes(command as Command)) {
    throw new UsageError(
      command ? `unknown command "${command}"` : 'no command given',
      'Use migrate, rollback, status or start (gym-migrate --help).',
    );
  }
  if ((values.seed || values.port !== undefined) && command !== 'start')
    throw new UsageError(`--${values.seed ? 'seed' : 'port'} is only for start`, 'See gym-migrate --help.');
  if (values['pre-deploy'] && command !== 'migrate')
    throw new UsageError(`--pre-deploy only applies to migrate, not ${command}`, 'See gym-migrate --help.');
  if (positionals.length > 1)
    throw new UsageError(`unexpected argument "${positionals[1]}"`, 'See gym-migrate --help.');
  return command as Command;
}

/** The engine's options from the flags (the URL, reporter and signal are the caller's). */
export function runOptions(values: Values): Omit<RunOptions, 'url' | 'reporter' | 'signal'> {
  return {
    to: values.to,
    preDeploy: values['pre-deploy'],
    dryRun: values['dry-run'],
    lockTimeoutMs: duration('lock-timeout', values['lock-timeout']),
    lockRetries: count('lock-retries', values['lock-retries']),
    lockWaitMs: duration('lock-wait', values['lock-wait']),
    connectTimeoutMs: duration('connect-timeout', values['connect-timeout']),
    connectRetryForMs: duration('connect-retry-for', values['connect-retry-for']),
    migrationsFolder: values.migrations && path.resolve(values.migrations),
    rollbackFolder: values.migrations && path.resolve(values.migrations, 'rollback'),
  };
}

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

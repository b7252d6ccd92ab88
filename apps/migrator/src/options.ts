import type { ParseArgsConfig } from 'node:util';
import { devServerPort } from '@gym/local-pg';
import { defaults } from '@gym/migrate';

/**
 * The CLI's flags, once: parseArgs's configuration and the --help text are both made from this table, in
 * its order. `help` is what --help prints for the flag: its lines after the first are the continuation
 * lines of the same entry. A flag without `help` is left out of --help.
 */
const table = {
  seed: { type: 'boolean', help: ['start: fill an empty database with a week of sample bookings'] },
  port: {
    type: 'string',
    arg: '<n>',
    help: [`start: the port to listen on (default ${devServerPort}, or GYM_EMBEDDED_PORT)`],
  },
  to: {
    type: 'string',
    arg: '<tag>',
    help: ['migrate: up to and including <tag>; rollback: every migration after <tag>'],
  },
  'pre-deploy': {
    type: 'boolean',
    help: [
      "migrate: only the pre-deploy migrations, the deploy job's step before the rollout",
      '(it stops at the first pending post-deploy one: that one and every migration',
      'after it wait for the plain migrate after the rollout)',
    ],
  },
  'dry-run': { type: 'boolean', help: ['show what would run, run nothing'] },
  json: { type: 'boolean', help: ['one JSON object per event on stdout'] },
  embedded: { type: 'boolean', help: ['use the embedded PostgreSQL in .data/embedded-pg instead of DATABASE_URL'] },
  url: { type: 'string', arg: '<url>', help: ['instead of DATABASE_URL'] },
  migrations: {
    type: 'string',
    arg: '<dir>',
    help: ["a drizzle-kit migrations folder other than @gym/db's (rollbacks in <dir>/rollback)"],
  },
  'lock-timeout': {
    type: 'string',
    arg: '<dur>',
    help: [`lock_timeout for each DDL statement (default ${defaults.lockTimeoutMs}ms)`],
  },
  'lock-retries': {
    type: 'string',
    arg: '<n>',
    help: [`retries of a migration after a lock timeout (default ${defaults.lockRetries})`],
  },
  'lock-wait': {
    type: 'string',
    arg: '<dur>',
    help: [`how long to wait for another migrator's advisory lock (default ${defaults.lockWaitMs / 1000}s)`],
  },
  'connect-timeout': {
    type: 'string',
    arg: '<dur>',
    help: [`per connection attempt (default ${defaults.connectTimeoutMs / 1000}s)`],
  },
  'connect-retry-for': {
    type: 'string',
    arg: '<dur>',
    help: [`keep retrying an unreachable server this long (default ${defaults.connectRetryForMs / 1000}s)`],
  },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Record<
  string,
  { type: 'string' | 'boolean'; short?: string; arg?: string; help?: readonly string[] }
>;

export const commands = ['migrate', 'rollback', 'status', 'start'] as const;
export type Command = (typeof commands)[number];

/** What --help says of a command beyond the usage line. */
const commandHelp: Partial<Record<Command, string>> = {
  start: 'start the embedded PostgreSQL, migrate it, print its DATABASE_URL, run until Ctrl-C',
};

type Table = typeof table;
/** parseArgs's `options`, typed from the table so that parseArgs's `values` are typed too. */
export const parseOptions = Object.fromEntries(
  Object.entries(table).map(([name, o]) => [name, { type: o.type, ...('short' in o ? { short: o.short } : {}) }]),
) as { [K in keyof Table]: { type: Table[K]['type']; short?: string } } satisfies ParseArgsConfig['options'];

// The help column: two spaces, the flag padded to 24, a space. A longer flag pushes its text along.
const entry = (left: string, lines: readonly string[]) => [
  `  ${left.padEnd(24)} ${lines[0]}`,
  ...lines.slice(1).map((l) => `${' '.repeat(27)}${l}`),
];

export const usage = [
  `usage: gym-migrate <${commands.join('|')}> [options]`,
  ...Object.entries(commandHelp).flatMap(([name, help]) => entry(name, [help])),
  ...Object.entries(table).flatMap(([name, o]) =>
    'help' in o ? entry(`--${name}${'arg' in o ? ` ${o.arg}` : ''}`, o.help) : [],
  ),
  "GYM_EMBEDDED_DIR and GYM_EMBEDDED_PORT: the embedded server's data folder and port",
  'exit codes: 0 ok, 1 migration failed, 2 usage or config error, 3 lock wait timed out,',
  '            4 edited migration, 5 cannot connect, 6 transaction-mode pooler, 7 security check failed,',
  '            8 applied migration not in the journal, 9 read-only standby, 130 interrupted',
].join('\n');

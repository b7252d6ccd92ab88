#!/usr/bin/env node
/**
 * gym-migrate: `pnpm db:migrate | db:rollback | db:status`. The only module that prints errors and
 * chooses exit codes; everything else throws typed errors (errors.ts) and emits events (events.ts).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { devServerPort, LocalPgError, pgMajorFromEnv } from '@gym/local-pg';
import type { EmbeddedServer } from '@gym/local-pg/embedded';
import {
  defaults,
  ExitCode,
  InterruptedError,
  MigratorError,
  makeRedactor,
  migrate,
  passwordOf,
  type RunOptions,
  redactUrl,
  rollback,
  status,
  UsageError,
} from '@gym/migrate';
import { count, duration } from './args.js';
import { createRenderer, formatMs, renderDevServerEvent } from './render.js';

const USAGE = `usage: gym-migrate <migrate|rollback|status|start> [options]
  start                    start the embedded PostgreSQL, migrate it, print its DATABASE_URL, run until Ctrl-C
  --seed                   start: fill an empty database with a week of sample bookings
  --port <n>               start: the port to listen on (default ${devServerPort}, or GYM_EMBEDDED_PORT)
  --to <tag>               migrate: up to and including <tag>; rollback: every migration after <tag>
  --pre-deploy             migrate: only the pre-deploy migrations, the deploy job's step before the rollout
                           (it stops at the first pending post-deploy one: that one and every migration
                           after it wait for the plain migrate after the rollout)
  --dry-run                show what would run, run nothing
  --json                   one JSON object per event on stdout
  --embedded               use the embedded PostgreSQL in .data/embedded-pg instead of DATABASE_URL
  --url <url>              instead of DATABASE_URL
  --migrations <dir>       a drizzle-kit migrations folder other than @gym/db's (rollbacks in <dir>/rollback)
  --lock-timeout <dur>     lock_timeout for each DDL statement (default ${defaults.lockTimeoutMs}ms)
  --lock-retries <n>       retries of a migration after a lock timeout (default ${defaults.lockRetries})
  --lock-wait <dur>        how long to wait for another migrator's advisory lock (default ${defaults.lockWaitMs / 1000}s)
  --connect-timeout <dur>  per connection attempt (default ${defaults.connectTimeoutMs / 1000}s)
  --connect-retry-for <dur> keep retrying an unreachable server this long (default ${defaults.connectRetryForMs / 1000}s)
GYM_EMBEDDED_DIR and GYM_EMBEDDED_PORT: the embedded server's data folder and port
exit codes: 0 ok, 1 migration failed, 2 usage or config error, 3 lock wait timed out,
            4 edited migration, 5 cannot connect, 6 transaction-mode pooler, 7 security check failed,
            8 applied migration not in the journal, 9 read-only standby, 130 interrupted`;

async function main(argv: string[]): Promise<number> {
  let json = argv.includes('--json');
  // Set before parsing, so that even an argument error cannot print the password of --url or DATABASE_URL.
  const urlArg = argv.includes('--url') ? argv[argv.indexOf('--url') + 1] : undefined;
  let redact = makeRedactor(passwordOf(urlArg ?? process.env.DATABASE_URL));
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const controller = new AbortController();
  let embedded: EmbeddedServer | undefined;
  let signals = 0;
  // `start` waiting for Ctrl-C: the signal is how it is meant to end, not an interruption.
  let serving = false;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) process.exit(ExitCode.interrupted);
    if (!serving) reporter({ event: 'interrupt', signal });
    controller.abort();
  };
  let reporter = createRenderer({ json, redact, write: out });
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        to: { type: 'string' },
        'pre-deploy': { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
        embedded: { type: 'boolean' },
        url: { type: 'string' },
        migrations: { type: 'string' },
        'lock-timeout': { type: 'string' },
        'lock-retries': { type: 'string' },
        'lock-wait': { type: 'string' },
        'connect-timeout': { type: 'string' },
        'connect-retry-for': { type: 'string' },
        seed: { type: 'boolean' },
        port: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    json = !!values.json;
    if (values.help) {
      out(USAGE);
      return ExitCode.ok;
    }
    const command = positionals[0];
    if (command !== 'migrate' && command !== 'rollback' && command !== 'status' && command !== 'start') {
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
    let url = values.url ?? process.env.DATABASE_URL;
    redact = makeRedactor(passwordOf(url));
    reporter = createRenderer({ json, redact, write: out });
    const options: RunOptions = {
      url,
      to: values.to,
      preDeploy: values['pre-deploy'],
      dryRun: values['dry-run'],
      reporter,
      signal: controller.signal,
      lockTimeoutMs: duration('lock-timeout', values['lock-timeout']),
      lockRetries: count('lock-retries', values['lock-retries']),
      lockWaitMs: duration('lock-wait', values['lock-wait']),
      connectTimeoutMs: duration('connect-timeout', values['connect-timeout']),
      connectRetryForMs: duration('connect-retry-for', values['connect-retry-for']),
      migrationsFolder: values.migrations && path.resolve(values.migrations),
      rollbackFolder: values.migrations && path.resolve(values.migrations, 'rollback'),
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (values.embedded || command === 'start') {
      const { embeddedOptionsFromEnv, startEmbedded } = await import('@gym/local-pg/embedded');
      const fromEnv = embeddedOptionsFromEnv();
      const port = command === 'start' ? (count('port', values.port) ?? fromEnv.port ?? devServerPort) : fromEnv.port;
      embedded = await startEmbedded({ version: pgMajorFromEnv(), ...fromEnv, port });
      await embedded.ensureDatabase('gym');
      url = embedded.url('gym');
      redact = makeRedactor(passwordOf(url));
      reporter = createRenderer({ json, redact, write: out });
      Object.assign(options, { url, reporter });
      reporter({ event: 'embedded', version: embedded.version, dataDir: embedded.dataDir, port: embedded.port });
    }
    if (command === 'start') {
      const { serveUntilStopped } = await import('@gym/local-pg');
      await migrate(options);
      serving = true;
      await serveUntilStopped({
        server: embedded!,
        database: 'gym',
        // Loaded only here: drizzle-seed and @gym/db are not needed by any other command.
        seed: values.seed ? async (url) => (await import('./seed.js')).seedSampleWeek(url) : undefined,
        signal: controller.signal,
        report: (e) => out(renderDevServerEvent(e, json)),
      });
    } else if (command === 'migrate') await migrate(options);
    else if (command === 'rollback') await rollback(options);
    else printStatus(await status(options), json, out, redact);
    // Finished: a signal that came after the last statement changes nothing, so this is a success.
    return ExitCode.ok;
  } catch (err) {
    return report(err, json, redact);
  } finally {
    await embedded?.stop().catch(() => {});
  }
}

function printStatus(
  result: Awaited<ReturnType<typeof status>>,
  json: boolean,
  out: (line: string) => void,
  redact: (s: string) => string,
): void {
  if (json) {
    for (const r of result.rows) out(redact(JSON.stringify({ event: 'status', ...r })));
    for (const u of result.unknown)
      out(
        redact(JSON.stringify({ event: 'status', tag: null, state: 'unknown', hash: u.hash, createdAt: u.createdAt })),
      );
    if (result.security)
      out(redact(JSON.stringify({ event: 'security_findings', tag: null, findings: result.security })));
    return;
  }
  const width = Math.max(...result.rows.map((r) => r.tag.length), 9);
  out(`${'migration'.padEnd(width)}  ${'state'.padEnd(8)}  ${'applied at'.padEnd(24)}  phase`);
  for (const r of result.rows) {
    const at = r.appliedAt ? r.appliedAt.toISOString() : '-';
    out(`${r.tag.padEnd(width)}  ${r.state.padEnd(8)}  ${at.padEnd(24)}  ${r.phase}`);
  }
  for (const u of result.unknown) out(`${'(not in journal)'.padEnd(width)}  unknown   hash ${u.hash.slice(0, 12)}…`);
  const pending = result.rows.filter((r) => r.state === 'pending').length;
  const edited = result.rows.filter((r) => r.state === 'edited').length;
  const postDeploy = result.rows.filter((r) => r.state === 'pending' && r.phase === 'post-deploy').length;
  out(
    `${result.rows.length - pending} applied, ${pending} pending${postDeploy ? ` (${postDeploy} post-deploy)` : ''}${edited ? `, ${edited} edited since applied (migrate will refuse)` : ''}${result.unknown.length ? `, ${result.unknown.length} not in the journal (migrate will refuse)` : ''}`,
  );
  if (result.security === null) return;
  if (result.security.length === 0) {
    out('security check: no finding');
    return;
  }
  out(`security check: ${result.security.length} finding(s) (migrate will fail until a migration fixes them):`);
  for (const f of result.security) out(redact(`  ${f.check}: ${f.object}; fix: ${f.fix}`));
}

/** The one place errors become text: a single line, what is wrong and what to do, no password. */
function report(err: unknown, json: boolean, redact: (s: string) => string): number {
  const known = err instanceof MigratorError || err instanceof LocalPgError ? err : undefined;
  // The local server's errors are all of this machine's setup: the usage/configuration exit code.
  const exitCode =
    err instanceof LocalPgError
      ? ExitCode.usage
      : err instanceof MigratorError
        ? err.exitCode
        : ExitCode.migrationFailed;
  const message = (known?.message ?? (err as Error)?.message ?? String(err)).replace(/\s+/g, ' ').trim();
  const hint = (known?.hint ?? 'This is unexpected; run again with --json and report the output.')
    .replace(/\s+/g, ' ')
    .trim();
  if (json) {
    process.stdout.write(
      `${redact(JSON.stringify({ ts: new Date().toISOString(), event: 'error', kind: known?.kind ?? 'internal', exitCode, message, hint }))}\n`,
    );
  } else {
    const label = err instanceof InterruptedError ? 'stopped' : 'error';
    process.stderr.write(`${redact(`gym-migrate: ${label}: ${message}. ${hint}`)}\n`);
  }
  return exitCode;
}

const started = Date.now();
main(process.argv.slice(2)).then(
  (code) => {
    if (process.env.GYM_MIGRATOR_TIMING) process.stderr.write(`(${formatMs(Date.now() - started)})\n`);
    process.exit(code);
  },
  (err) => {
    process.stderr.write(`gym-migrate: error: ${redactUrl(String((err as Error)?.message ?? err))}\n`);
    process.exit(ExitCode.migrationFailed);
  },
);

import { type DevServerEvent, LocalPgError } from '@gym/local-pg';
import {
  ExitCode,
  InterruptedError,
  MigratorError,
  type MigratorEvent,
  makeRedactor,
  passwordOf,
  type Reporter,
  type status,
} from '@gym/migrate';

/**
 * The one place where the CLI's output is made: events as they come (text or --json), the status table, the
 * dev server's lines, and errors. Every line goes through the redactor of the current database URL.
 */

function human(e: MigratorEvent): string | null {
  switch (e.event) {
    case 'connect_retry':
      return `waiting for the server (attempt ${e.attempt}, next try in ${e.delayMs} ms): ${e.reason}`;
    case 'connected':
      return `connected to ${e.target} (PostgreSQL ${e.serverVersion})`;
    case 'lock_wait':
      return `another migrator holds the lock; waited ${Math.round(e.waitedMs / 1000)} s so far`;
    case 'lock_acquired':
      return null;
    case 'plan': {
      const lines: string[] = [];
      if (e.tags.length > 0) {
        const phaseOf = new Map((e.migrations ?? []).map((m) => [m.tag, m.phase]));
        const list = e.tags.map((t) => (phaseOf.get(t) === 'post-deploy' ? `${t} (post-deploy)` : t));
        lines.push(`${e.dryRun ? 'would ' : ''}${e.command === 'migrate' ? 'apply' : 'roll back'}: ${list.join(', ')}`);
      }
      if (e.heldBack?.length) {
        lines.push(
          `${e.dryRun ? 'would leave' : 'left'} pending for after the rollout (post-deploy): ${e.heldBack.join(', ')}; run pnpm db:migrate once the old app is gone`,
        );
      }
      if (e.waiting?.length) {
        lines.push(
          `${e.dryRun ? 'would wait' : 'waiting'}: ${e.waiting.join(', ')} ${e.waiting.length === 1 ? 'comes' : 'come'} after ${e.heldBack?.[0]} (post-deploy) in the journal and may rely on it, so ${e.waiting.length === 1 ? 'it runs' : 'they run'} in the plain pnpm db:migrate after the rollout (to deploy them before it, deploy the earlier release through its post-deploy step first)`,
        );
      }
      return lines.length ? lines.join('\n') : null;
    }
    case 'security_findings':
      return null;
    case 'out_of_order':
      return `warning: ${e.tag} is older than the newest applied migration (${e.newestApplied}); it was merged late and is applied now`;
    case 'migration_start':
      return null;
    case 'notice':
      return `  ${e.tag}: ${e.message}`;
    case 'progress':
      return `  ${e.tag}: ${e.step} ${e.rows.toLocaleString('en-US')} rows${e.rate !== null ? ` (${e.rate.toLocaleString('en-US')} rows/s)` : ''}`;
    case 'lock_retry':
      return `  ${e.tag}: lock_timeout at statement ${e.statement}; retry ${e.attempt} in ${e.delayMs} ms`;
    case 'migration_done':
      return `${e.direction === 'up' ? 'applied    ' : 'rolled back'} ${e.tag} (${formatMs(e.durationMs)})`;
    case 'nothing_to_do':
      if (e.command === 'rollback') return 'nothing to roll back';
      if (e.waiting?.length) return 'nothing to migrate before the rollout: the pending pre-deploy migrations wait';
      return e.heldBack?.length
        ? 'nothing to migrate before the rollout: every pre-deploy migration is applied'
        : 'nothing to migrate: the database is up to date';
    case 'embedded':
      return `embedded PostgreSQL ${e.version} on 127.0.0.1:${e.port}, data in ${e.dataDir}`;
    case 'interrupt':
      return `${e.signal}: stopping after the current statement`;
    case 'done':
      return null;
  }
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/**
 * Renders events as text lines or JSON lines, through `redact`, onto `write`. `json` and `redact` are read
 * at each event, so that an Output's renderer follows its current URL.
 */
export function createRenderer(opts: {
  json: boolean;
  redact: (s: string) => string;
  write: (line: string) => void;
}): Reporter {
  return (e) => {
    const line = opts.json ? JSON.stringify({ ts: new Date().toISOString(), ...e }) : human(e);
    if (line !== null) opts.write(opts.redact(line));
  };
}

/**
 * `db:start`'s own lines, as text or JSON: not redacted, since the URL it prints with its password is the
 * local server's published credential and the point of the command.
 */
export function renderDevServerEvent(e: DevServerEvent, json: boolean): string {
  if (json) return JSON.stringify(e);
  switch (e.event) {
    case 'seeded':
      return `seeded ${e.trainers} trainers, ${e.members} members and ${e.sessions} booked sessions in the week of ${e.weekStart.slice(0, 10)}`;
    case 'seed_skipped':
      return `not seeding: ${e.reason}`;
    case 'ready':
      return `DATABASE_URL=${e.databaseUrl}\nReady: the database runs until you press Ctrl-C.`;
    case 'stopping':
      return 'stopping the embedded PostgreSQL';
  }
}

/** Where a run's lines go, and how they are made safe to print. */
export interface Output {
  /** --json: one JSON object per line. */
  json: boolean;
  /** Removes the password of the current database URL (and of any URL) from a line. */
  redact(text: string): string;
  /** From now on, redact the password of `url` (the URL the run connects to). */
  useUrl(url: string | undefined): void;
  /** One line on stdout. */
  write(line: string): void;
  /** The engine's reporter: renders each event onto stdout. */
  report: Reporter;
}

/**
 * Made before the arguments are parsed, with what they seem to say (--json, --url or DATABASE_URL), so that
 * even an argument error cannot print the password of --url or DATABASE_URL.
 */
export function createOutput(json: boolean, url: string | undefined): Output {
  let redact = makeRedactor(passwordOf(url));
  const output: Output = {
    json,
    redact: (text) => redact(text),
    useUrl(next) {
      redact = makeRedactor(passwordOf(next));
    },
    write: (line) => process.stdout.write(`${line}\n`),
    report: (e) => render(e),
  };
  const render = createRenderer(output);
  return output;
}

/** `status`: one row per migration and a summary, or one JSON object per row. */
export function renderStatus(result: Awaited<ReturnType<typeof status>>, output: Output): void {
  const { redact } = output;
  const out = (line: string) => output.write(line);
  if (output.json) {
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

/**
 * What an error means for the exit code and the --json error event: the engine's typed errors carry both;
 * the local server's are all of this machine's setup, so the usage/configuration exit code; anything else
 * is unexpected.
 */
export function errorContract(err: unknown): { exitCode: ExitCode; kind: string; hint: string | undefined } {
  if (err instanceof MigratorError) return { exitCode: err.exitCode, kind: err.kind, hint: err.hint };
  if (err instanceof LocalPgError) return { exitCode: ExitCode.usage, kind: err.kind, hint: err.hint };
  return { exitCode: ExitCode.migrationFailed, kind: 'internal', hint: undefined };
}

/** The one place errors become text: a single line, what is wrong and what to do, no password. */
export function renderError(err: unknown, output: Output): ExitCode {
  const { exitCode, kind, hint: knownHint } = errorContract(err);
  const message = ((err as Error)?.message ?? String(err)).replace(/\s+/g, ' ').trim();
  const hint = (knownHint ?? 'This is unexpected; run again with --json and report the output.')
    .replace(/\s+/g, ' ')
    .trim();
  if (output.json) {
    process.stdout.write(
      `${output.redact(JSON.stringify({ ts: new Date().toISOString(), event: 'error', kind, exitCode, message, hint }))}\n`,
    );
  } else {
    const label = err instanceof InterruptedError ? 'stopped' : 'error';
    process.stderr.write(`${output.redact(`gym-migrate: ${label}: ${message}. ${hint}`)}\n`);
  }
  return exitCode;
}

import type { DevServerEvent } from '@gym/local-pg';
import type { MigratorEvent, Reporter } from '@gym/migrate';

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

/** Renders events as text lines or JSON lines, through `redact`, onto `write`. */
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

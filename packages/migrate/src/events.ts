import type { Phase } from './plan.js';
import type { SecurityFinding } from './security.js';

/**
 * What a run reports as it goes: the engine prints nothing. The CLI renders these for people, or as one JSON
 * object per line (the --json contract).
 */
export type MigratorEvent =
  | { event: 'connect_retry'; attempt: number; delayMs: number; reason: string }
  | { event: 'connected'; target: string; serverVersion: string }
  | { event: 'lock_wait'; waitedMs: number }
  | { event: 'lock_acquired'; waitedMs: number }
  | {
      event: 'plan';
      command: 'migrate' | 'rollback';
      /** migrate: 'pre-deploy' (--pre-deploy: post-deploy migrations held back) or 'all'. */
      step?: 'pre-deploy' | 'all';
      tags: string[];
      /** migrate: each migration to apply with its phase. */
      migrations?: { tag: string; phase: Phase }[];
      /** migrate --pre-deploy: the pending post-deploy migrations it leaves for after the rollout. */
      heldBack?: string[];
      /**
       * migrate --pre-deploy: pending pre-deploy migrations that come after a held-back post-deploy one in
       * the journal, and so wait for it (they may rely on it).
       */
      waiting?: string[];
      dryRun: boolean;
    }
  | { event: 'out_of_order'; tag: string; newestApplied: string }
  | {
      event: 'security_findings';
      /** The migration or rollback step that brought them in, or null: found at the end of the run. */
      tag: string | null;
      findings: SecurityFinding[];
    }
  | {
      event: 'migration_start';
      tag: string;
      direction: 'up' | 'down';
      phase: Phase;
      transactional: boolean;
      attempt: number;
    }
  | { event: 'notice'; tag: string; message: string }
  | { event: 'progress'; tag: string; step: string; rows: number; rate: number | null; detail: string }
  | { event: 'lock_retry'; tag: string; attempt: number; delayMs: number; statement: number }
  | { event: 'migration_done'; tag: string; direction: 'up' | 'down'; phase: Phase; durationMs: number }
  | { event: 'nothing_to_do'; command: 'migrate' | 'rollback'; heldBack?: string[]; waiting?: string[] }
  | { event: 'embedded'; version: string; dataDir: string; port: number }
  | { event: 'interrupt'; signal: string }
  | {
      event: 'done';
      command: string;
      applied: string[];
      heldBack?: string[];
      waiting?: string[];
      durationMs: number;
    };

export type Reporter = (e: MigratorEvent) => void;

export const silentReporter: Reporter = () => {};

/** RAISE NOTICE 'progress <step> rows=<n> ... rate=<r>/s' from long statements becomes a progress event. */
export function noticeToEvent(tag: string, message: string): MigratorEvent {
  const m = /^progress (\S+) rows=(\d+)(.*)$/.exec(message);
  if (!m) return { event: 'notice', tag, message };
  const rate = /rate=(\d+)\/s/.exec(m[3] ?? '');
  return {
    event: 'progress',
    tag,
    step: m[1]!,
    rows: Number(m[2]),
    rate: rate ? Number(rate[1]) : null,
    detail: (m[3] ?? '').trim(),
  };
}

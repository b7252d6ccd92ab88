import path from 'node:path';
import {
  rollbackFolder as defaultRollbackFolder,
  MigrationFileError,
  type RollbackFile,
  readRollbackFile,
} from '@gym/db/migrations';
import type pg from 'pg';
import { applyInOneTransaction, applyMigration } from './apply.js';
import { MigrationFailedError, UsageError } from './errors.js';
import { appliedSet, atSecurityBaseline, type MigrationState } from './plan.js';
import { checkStop, type RunOptions, withSession } from './session.js';
import { type AppliedRow, deleteApplied, dropEmptyBookkeeping, refuseEdited } from './state.js';

function loadRollback(folder: string, tag: string): { statements: string[]; transactional: boolean } {
  let rollback: RollbackFile | undefined;
  try {
    rollback = readRollbackFile(folder, tag);
  } catch (err) {
    if (err instanceof MigrationFileError) throw new UsageError(err.message, err.hint);
    throw err;
  }
  if (!rollback) {
    throw new MigrationFailedError(
      tag,
      `there is no rollback file for ${tag} (${path.join(folder, `${tag}.sql`)})`,
      'Write one before rolling this migration back; nothing was changed.',
    );
  }
  return { statements: rollback.statements, transactional: !rollback.directives.has('no-transaction') };
}

/**
 * Rolls back the last applied migration, or every applied migration after --to, newest first. When every
 * rollback file involved is transactional, they run in one transaction: all of them or none.
 */
export async function rollback(opts: RunOptions): Promise<{ rolledBack: string[] }> {
  const started = Date.now();
  const folder = opts.rollbackFolder ?? defaultRollbackFolder;
  return withSession(opts, true, async ({ client, target, local, states, reporter, settings, gate }) => {
    refuseEdited(states);
    const applied = states.filter((s): s is Extract<MigrationState, { row: AppliedRow }> => s.state !== 'pending');
    const chosen = (target ? applied.filter((s) => s.migration.idx > target.idx) : applied.slice(-1)).reverse();
    const plans = chosen.map((s) => ({ state: s, ...loadRollback(folder, s.migration.tag) }));
    reporter({ event: 'plan', command: 'rollback', tags: chosen.map((s) => s.migration.tag), dryRun: !!opts.dryRun });
    if (opts.dryRun) return { rolledBack: [] };
    const remaining = appliedSet(states);
    await gate.begin(client, atSecurityBaseline(local, remaining));
    if (plans.length === 0) {
      reporter({ event: 'nothing_to_do', command: 'rollback' });
      await gate.end(client, atSecurityBaseline(local, remaining));
      reporter({ event: 'done', command: 'rollback', applied: [], durationMs: Date.now() - started });
      return { rolledBack: [] };
    }
    const runs = plans.map((p) => {
      remaining.delete(p.state.migration.idx);
      return {
        tag: p.state.migration.tag,
        direction: 'down' as const,
        phase: p.state.migration.phase,
        statements: p.statements,
        transactional: p.transactional,
        record: (c: pg.Client) => deleteApplied(c, p.state.row),
        verify: gate.step(
          p.state.migration.tag,
          'down',
          p.transactional,
          atSecurityBaseline(local, new Set(remaining)),
        ),
      };
    });
    const done: string[] = [];
    if (runs.length > 1 && runs.every((r) => r.transactional)) {
      // All or nothing: a rollback refused halfway must not leave the later migrations rolled back.
      checkStop(
        opts.signal,
        done,
        runs.map((r) => r.tag),
      );
      await applyInOneTransaction(client, runs, settings);
      done.push(...runs.map((r) => r.tag));
    } else {
      for (const [i, run] of runs.entries()) {
        checkStop(
          opts.signal,
          done,
          runs.slice(i).map((r) => r.tag),
        );
        await applyMigration(client, run, settings);
        done.push(run.tag);
      }
    }
    await dropEmptyBookkeeping(client);
    await gate.end(client, atSecurityBaseline(local, remaining));
    reporter({ event: 'done', command: 'rollback', applied: done, durationMs: Date.now() - started });
    return { rolledBack: done };
  });
}

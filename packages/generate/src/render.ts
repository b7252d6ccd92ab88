import type { GeneratePlan } from './generate.js';

/** One event of a run, printed as a line of text or, with --json, as one JSON object per line. */
export type GenerateEvent =
  | { event: 'drizzle_kit'; statements: string[] }
  | {
      event: 'statement';
      file: string;
      phase: string;
      source: string;
      rewrite: string;
      why: string;
      steps: { does: string; lock: string; holds: string; outsideTransaction: boolean; sql: string }[];
    }
  | { event: 'file'; tag: string; phase: string; transactional: boolean; dryRun: boolean }
  | { event: 'refused'; statement: string; why: string; recipe: string }
  | { event: 'written'; files: string[] }
  | { event: 'nothing_to_do' }
  | { event: 'error'; kind: string; message: string; hint: string; exitCode: number };

/** The events of a plan: the files, and for each statement drizzle-kit wrote, the steps it became. */
export function planEvents(plan: GeneratePlan, dryRun: boolean): GenerateEvent[] {
  const events: GenerateEvent[] = [{ event: 'drizzle_kit', statements: plan.drizzleSql }];
  for (const f of plan.files) {
    events.push({ event: 'file', tag: f.tag, phase: f.phase, transactional: f.transactional, dryRun });
    for (const s of f.steps) {
      events.push({
        event: 'statement',
        file: f.tag,
        phase: s.phase,
        source: s.source,
        rewrite: s.rewrite,
        why: s.why,
        steps: s.actions.map((a) => ({
          does: a.does,
          lock: a.lock,
          holds: a.holds,
          outsideTransaction: !!a.noTransaction,
          // The statement itself, as the file has it: what the corpus matches pg_stat_activity's query against.
          sql: a.sql.trim(),
        })),
      });
    }
  }
  for (const r of plan.refusals) events.push({ event: 'refused', ...r });
  return events;
}

function oneLine(text: string, max = 140): string {
  const s = text.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

/** Text for a terminal: the plan, one block per statement, one line per step with its lock. */
export function renderText(e: GenerateEvent): string[] {
  switch (e.event) {
    case 'drizzle_kit':
      return [`drizzle-kit generated ${e.statements.length} statement${e.statements.length === 1 ? '' : 's'}`];
    case 'file':
      return [
        '',
        `${e.dryRun ? 'would write' : 'writes'} ${e.tag}.sql: ${e.phase}, ${e.transactional ? 'in one transaction' : 'statement by statement (no-transaction)'}`,
      ];
    case 'statement':
      return [
        `  ${oneLine(e.source)}`,
        `    ${e.rewrite}${e.why ? `: ${oneLine(e.why, 400)}` : ''}`,
        ...e.steps.map((s) => `    -> [${e.phase}] ${s.does}; lock: ${s.lock}; ${s.holds}`),
      ];
    case 'refused':
      return [`refused: ${oneLine(e.statement, 120)}: ${e.why}; ${e.recipe}`];
    case 'written':
      return ['', ...e.files.map((f) => `wrote ${f}`)];
    case 'nothing_to_do':
      return ['No schema changes, nothing to generate'];
    case 'error':
      return [`gym-generate: error: ${e.message}. ${e.hint}`];
  }
}

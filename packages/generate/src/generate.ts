import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type GenerateConfig, loadConfig } from './config.js';
import { currentSnapshot, drizzleSql, type History, readHistory, snapshotFile } from './diff.js';
import { type Refusal, RefusedError, UsageError } from './errors.js';
import { type RollbackContext, rollbackStatements } from './rollback.js';
import { type RuleContext, rewrite } from './rules.js';
import { newEnums, newTables, phase, possibleRenames, removedEnumValues, type Snapshot } from './snapshot.js';
import { isNonVolatile, loadParser, oneLine, parseExpression } from './sql.js';
import type { Phase, Step } from './steps.js';
import { ARCHIVE_SCHEMA, dropEmptyArchiveSchema, noTransactionGuard, psqlLockTimeout } from './templates.js';

export interface GenerateOptions {
  /** Path of the drizzle-kit config (drizzle.config.ts). */
  config: string;
  /** The migration's name: files are NNNN_<name>.sql (and NNNN_<name>_contract.sql for the post-deploy step). */
  name: string;
  /** "table.column=<SQL expression>": the value for existing rows of a new or newly NOT NULL column. */
  backfill?: string[];
  /** "name=value": a session setting for every batch and the rollback (e.g. to keep updated_at triggers quiet). */
  set?: string[];
  /** A column (or table) that disappears beside a new one is not a rename: drop the old, add the new. */
  notRenamed?: boolean;
  /** The journal's `when` for the first file (default: now). */
  now?: number;
}

/** One migration file the generator writes, with its rollback and its snapshot. */
export interface GeneratedFile {
  idx: number;
  tag: string;
  when: number;
  phase: Phase;
  transactional: boolean;
  sql: string;
  rollback: string;
  snapshot: Snapshot;
  steps: Step[];
}

/** What drizzle-kit wrote, what it became, and what was refused: printed by --dry-run, written otherwise. */
export interface GeneratePlan {
  config: GenerateConfig;
  /** drizzle-kit's SQL for the whole change, as `drizzle-kit generate` would write it. */
  drizzleSql: string[];
  files: GeneratedFile[];
  refusals: Refusal[];
}

const MIGRATION_NAME = /^[a-z0-9][a-z0-9_]*$/;

function parseBackfills(raw: string[], cur: Snapshot): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of raw) {
    const m = /^([^=]+)=([\s\S]+)$/.exec(item);
    const target = m?.[1]?.trim().split('.') ?? [];
    if (!m || target.length < 2 || target.length > 3) {
      throw new UsageError(
        `--backfill takes <table>.<column>=<SQL expression>, not "${item}"`,
        `For example: --backfill training_sessions.room="'main'"`,
      );
    }
    const [schema, table, column] = target.length === 3 ? target : ['public', ...target];
    const t = cur.tables[`${schema}.${table}`];
    if (!t?.columns[column!]) {
      throw new UsageError(
        `--backfill names ${schema}.${table}.${column}, which the schema does not have`,
        'Name a column of the schema.',
      );
    }
    try {
      parseExpression(m[2]!);
    } catch (err) {
      throw new UsageError(
        `--backfill ${table}.${column}: PostgreSQL's parser rejects "${m[2]}" (${(err as Error).message})`,
        'Give one SQL expression, quoted for your shell (e.g. "\'main\'" or "lower(email)").',
      );
    }
    out.set(`${schema}.${table}.${column}`, m[2]!.trim());
  }
  return out;
}

function parseSettings(raw: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of raw) {
    const m = /^([A-Za-z_][\w]*\.[A-Za-z_][\w]*)=(.*)$/.exec(item);
    if (!m) {
      throw new UsageError(
        `--set takes <prefix>.<name>=<value> (a custom setting, such as gym.preserve_updated_at=on), not "${item}"`,
        'See gym-generate --help.',
      );
    }
    out[m[1]!] = m[2]!;
  }
  return out;
}

function constantDefault(text: string): boolean {
  try {
    return isNonVolatile(parseExpression(text));
  } catch {
    return false;
  }
}

function renameRefusals(prev: Snapshot, cur: Snapshot): Refusal[] {
  return possibleRenames(prev, cur).map((r) => ({
    statement: `${r.kind} ${r.dropped.join(', ')} gone and ${r.added.join(', ')} new in ${r.scope}`,
    why: `drizzle-kit would ask whether this is a rename; a rename breaks every running instance of the app, which still uses the old name`,
    recipe: `if it is not a rename, run again with --not-renamed (the old ${r.kind} is archived and dropped after the deploy); to rename, expand/contract: keep the old ${r.kind}, add the new one (with --backfill for a column), move the app over, then remove the old one in a later db:generate`,
  }));
}

/** Rewrites drizzle-kit's statements of one phase; refusals are collected, not thrown. */
function rewritePhase(statements: string[], ctx: RuleContext, refusals: Refusal[]): Step[] {
  const steps: Step[] = [];
  for (const statement of statements) {
    const result = rewrite(statement, ctx);
    if ('refusal' in result) refusals.push(result.refusal);
    else steps.push(...result.steps);
  }
  return steps;
}

function pad(idx: number): string {
  return String(idx).padStart(4, '0');
}

/** Computes the migration files for the change between the last snapshot and the schema; writes nothing. */
export async function plan(options: GenerateOptions): Promise<GeneratePlan> {
  if (!MIGRATION_NAME.test(options.name)) {
    throw new UsageError(
      `--name takes lowercase letters, digits and underscores, not "${options.name}"`,
      'For example: --name training_sessions_room.',
    );
  }
  await loadParser();
  const config = await loadConfig(options.config);
  const history: History = readHistory(config.out);
  const prev = history.prev;
  const cur = await currentSnapshot(config, prev.id);
  const backfill = parseBackfills(options.backfill ?? [], cur);
  const settings = parseSettings(options.set ?? []);
  const refusals: Refusal[] = [];
  if (!options.notRenamed) refusals.push(...renameRefusals(prev, cur));
  for (const { key, values } of removedEnumValues(prev, cur)) {
    refusals.push({
      statement: `enum ${key}: values ${values.join(', ')} removed`,
      why: 'PostgreSQL cannot drop an enum value: drizzle-kit recreates the type and rewrites every column that uses it, under ACCESS EXCLUSIVE, while the running app may still write the value',
      recipe:
        'keep the value in the enum and stop writing it (migrate the rows with an UPDATE in batches); or recreate the type by hand (drizzle-kit generate --custom)',
    });
  }
  if (refusals.length) return { config, drizzleSql: [], files: [], refusals };

  const { mid, deferredNotNull } = phase(prev, cur, constantDefault);
  mid.id = randomUUID();
  mid.prevId = prev.id;
  const preSql = await drizzleSql(prev, mid);
  const postSql = await drizzleSql(mid, cur);
  // drizzle-kit's SQL for the whole change, as `drizzle-kit generate` writes it. Where it would ask about a
  // rename (--not-renamed), it cannot run without a terminal: its two phases, in order, are the same change.
  const drizzle = possibleRenames(prev, cur).length ? [...preSql, ...postSql] : await drizzleSql(prev, cur);
  const nextIdx = (history.journal.entries.at(-1)?.idx ?? -1) + 1;
  const when = options.now ?? Date.now();
  const phases: { phase: Phase; sql: string[]; from: Snapshot; to: Snapshot }[] = [];
  if (preSql.length) phases.push({ phase: 'pre-deploy', sql: preSql, from: prev, to: postSql.length ? mid : cur });
  if (postSql.length) phases.push({ phase: 'post-deploy', sql: postSql, from: preSql.length ? mid : prev, to: cur });
  if (postSql.length && preSql.length) cur.prevId = mid.id;

  const files: GeneratedFile[] = [];
  for (const [i, ph] of phases.entries()) {
    const idx = nextIdx + i;
    const tag = `${pad(idx)}_${options.name}${ph.phase === 'post-deploy' && phases.length > 1 ? '_contract' : ''}`;
    const ctx: RuleContext = {
      tag,
      phase: ph.phase,
      from: ph.from,
      to: ph.to,
      newTables: newTables(ph.from, ph.to),
      newEnums: newEnums(ph.from, ph.to),
      deferredNotNull,
      backfill,
      settings,
      supabase: config.supabase,
    };
    const steps = rewritePhase(ph.sql, ctx, refusals);
    const archivedTables = new Set<string>();
    const archivedColumns = new Set<string>();
    for (const s of steps) {
      if (!s.archives) continue;
      (s.archives.split('.').length === 3 ? archivedColumns : archivedTables).add(s.archives);
    }
    const rctx: RollbackContext = { tag, from: ph.to, to: ph.from, archivedTables, archivedColumns };
    // Drops of columns, constraints, indexes and policies first: a type the rollback recreates (an enum
    // without the value this migration added) must have nothing left that depends on it.
    const reverse = await drizzleSql(ph.to, ph.from);
    const dropsFirst = (s: string) =>
      /^(ALTER TABLE \S+ DROP (COLUMN|CONSTRAINT)|DROP (INDEX|POLICY))/.test(s) ? 0 : 1;
    const back = [...reverse].sort((a, b) => dropsFirst(a) - dropsFirst(b)).flatMap((s) => rollbackStatements(s, rctx));
    const transactional = !steps.some((s) => s.actions.some((a) => a.noTransaction));
    files.push({
      idx,
      tag,
      when: when + i,
      phase: ph.phase,
      transactional,
      steps,
      sql: renderMigration(tag, options.name, ph.phase, transactional, steps, phases.length),
      rollback: renderRollback(tag, back, settings, archivedTables.size + archivedColumns.size > 0),
      snapshot: i === phases.length - 1 ? cur : mid,
    });
  }
  return { config, drizzleSql: drizzle, files: refusals.length ? [] : files, refusals };
}

/** Writes the files of a plan into drizzle-kit's out folder: SQL, rollback, snapshot, journal entry. */
export function write(result: GeneratePlan): string[] {
  if (result.refusals.length) throw new RefusedError(result.refusals);
  const out = result.config.out;
  const written: string[] = [];
  fs.mkdirSync(path.join(out, 'meta'), { recursive: true });
  fs.mkdirSync(path.join(out, 'rollback'), { recursive: true });
  const journalFile = path.join(out, 'meta', '_journal.json');
  const journal = fs.existsSync(journalFile)
    ? (JSON.parse(fs.readFileSync(journalFile, 'utf8')) as History['journal'])
    : { version: '7', dialect: 'postgresql', entries: [] };
  for (const f of result.files) {
    const sqlFile = path.join(out, `${f.tag}.sql`);
    const rollbackFile = path.join(out, 'rollback', `${f.tag}.sql`);
    fs.writeFileSync(sqlFile, f.sql);
    fs.writeFileSync(rollbackFile, f.rollback);
    fs.writeFileSync(snapshotFile(out, f.idx), `${JSON.stringify(f.snapshot, null, 2)}`);
    journal.entries.push({
      idx: f.idx,
      version: '7',
      when: f.when,
      tag: f.tag,
      breakpoints: result.config.breakpoints,
    });
    written.push(sqlFile, rollbackFile, snapshotFile(out, f.idx));
  }
  fs.writeFileSync(journalFile, JSON.stringify(journal, null, 2));
  written.push(journalFile);
  return written;
}

const BREAKPOINT = '\n--> statement-breakpoint\n';

/** Comment lines of at most ~110 characters. */
function comment(text: string, indent = ''): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = `--${indent}`;
  for (const w of words) {
    if (line.length + w.length + 1 > 112 && line.trim() !== '--') {
      lines.push(line);
      line = `--${indent}${indent ? '  ' : ''}`;
    }
    line += ` ${w}`;
  }
  lines.push(line);
  return lines;
}

function short(sql: string, max = 90): string {
  const s = oneLine(sql);
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

function renderMigration(
  tag: string,
  name: string,
  ph: Phase,
  transactional: boolean,
  steps: Step[],
  files: number,
): string {
  const header: string[] = [];
  const concurrently = steps.some((s) => s.actions.some((a) => a.noTransaction && /CONCURRENTLY/.test(a.sql)));
  const batches = steps.some((s) => s.actions.some((a) => a.noTransaction && /v_target_ms/.test(a.sql)));
  const validates = steps.some((s) => s.actions.some((a) => a.noTransaction && /VALIDATE CONSTRAINT/.test(a.sql)));
  const enumValues = steps.some((s) => s.first);
  if (!transactional) {
    const why = [
      concurrently && 'CONCURRENTLY',
      batches && 'committed batches',
      validates && 'VALIDATE after its NOT VALID constraint commits',
      enumValues && 'new enum values',
    ].filter(Boolean);
    header.push(`-- migrator: no-transaction (${why.join(', ')})`);
  }
  if (ph === 'post-deploy') header.push('-- migrator: post-deploy');
  header.push(
    ...comment(
      `Generated by gym-generate (pnpm db:generate --name ${name}) from drizzle-kit's diff of the schema, rewritten to be safe under traffic; review it, then pnpm lint and pnpm test.`,
    ),
  );
  header.push(
    ...comment(
      ph === 'pre-deploy'
        ? `Pre-deploy (expand): it only adds, widens and backfills, so the app that is running now keeps working.${files > 1 ? ' What would break that app (drops, NOT NULL it does not satisfy) is in the post-deploy step that follows.' : ''}`
        : 'Post-deploy (contract): run by pnpm db:migrate once the new app is rolled out and the old one is gone; pnpm db:migrate --pre-deploy leaves it pending.',
    ),
  );
  const rewritten = steps.filter((s) => s.rewrite !== 'as written' || s.why);
  if (rewritten.length) {
    header.push('-- What drizzle-kit generated, what it became, and why:');
    const seen = new Set<string>();
    for (const s of rewritten) {
      const key = `${s.source}\n${s.rewrite}`;
      if (seen.has(key)) continue;
      seen.add(key);
      header.push(...comment(`* ${s.rewrite}: ${short(s.source)}`, ' '));
      if (s.why) header.push(...comment(`why: ${s.why}`, '   '));
    }
  }
  const plain = steps.filter((s) => !rewritten.includes(s));
  if (plain.length) {
    header.push(
      ...comment(
        `As drizzle-kit wrote them (catalog changes, or on tables created here): ${plain.length} statement${plain.length === 1 ? '' : 's'}, each guarded.`,
      ),
    );
  }
  header.push(
    ...comment(
      'Every statement checks the catalog before it acts, so the file can run again (the migrator after a kill, psql -f) and changes nothing the second time. Locks: pnpm db:generate --dry-run.',
    ),
  );
  const body: string[] = [];
  if (!transactional) body.push(noTransactionGuard(tag), psqlLockTimeout());
  for (const s of [...steps.filter((x) => x.first), ...steps.filter((x) => !x.first)]) {
    for (const a of s.actions) body.push(a.sql.trim());
  }
  return `${header.join('\n')}\n${body.join(BREAKPOINT)}\n`;
}

function renderRollback(
  tag: string,
  statements: string[],
  settings: Record<string, string>,
  archives: boolean,
): string {
  const header = [
    ...comment(
      `Rollback of ${tag}, generated by gym-generate from drizzle-kit's diff back to the schema before it. It runs in one transaction: if anything fails, nothing changes.${archives ? ` Dropped values come back from their archive in ${ARCHIVE_SCHEMA}, exactly; rows written since keep the column default.` : ''} A change that would lose data (a value too long for the old type, a NULL where the old schema wants a value) is refused in one line before anything changes.`,
    ),
  ];
  const body: string[] = [];
  const set = Object.entries(settings);
  if (set.length) {
    body.push(`SELECT ${set.map(([k, v]) => `set_config('${k}', '${v.replace(/'/g, "''")}', true)`).join(', ')};`);
  }
  body.push(...statements);
  if (archives) body.push(dropEmptyArchiveSchema());
  if (!statements.length) body.push('SELECT 1; -- nothing to undo');
  return `${header.join('\n')}\n${body.join(BREAKPOINT)}\n`;
}

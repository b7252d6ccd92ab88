/**
 * pnpm bench:migrate --mode generate [--rows 1000000] [--cases a,b] [--runs 1] [--out bench/results/<file>.json]
 *
 * Issue 19: the safe-generate corpus's schema changes (packages/testing/src/corpus-cases.ts, the
 * cases the corpus suites prove) on a loaded table, each applied twice, side by side, on fresh copies of the
 * same loaded database while the corpus's app reads and writes training_sessions:
 *   (dk)  drizzle-kit's own SQL for the change, as drizzle-kit writes the file, applied by drizzle-orm's
 *         migrate() (one transaction, no lock_timeout); where it cannot run, its error is recorded;
 *   (gym) the migration(s) `pnpm db:generate` writes for the same change, applied by gym-db's migrator:
 *         `migrate --pre-deploy`, the app switches to its new shape (the rollout), then `migrate`.
 * Per case: the total time and the longest app stall (the longest latency of any app query whose [sent,
 * answered] overlaps the contestant), failed app queries, and the ratios gym / dk. See bench/README.md.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type MigratorEvent, migrate } from '@gym/migrate';
import {
  type AppCall,
  type AppShape,
  CorpusApp,
  copyDbPackage,
  type GenerateRun,
  generate,
  loadCorpusRows,
  type Workspace,
} from '@gym/testing/corpus';
import { baseEdit, CORPUS_CASES, type CorpusCase } from '@gym/testing/corpus-cases';
import { drizzleMigrate } from '@gym/testing/drizzle-migrate';
import { catalogSnapshot, withoutMigrationArchives } from '@gym/testing/snapshot';
import pg from 'pg';
import { statementDurations } from '../lib/analyze';
import { eachFlag, parseCount } from '../lib/args';
import { type LockReport, LockSampler, type StatementSpan } from '../lib/locks';
import { RESULTS_DIR } from '../lib/paths';
import { type BenchServer, connectClient, dbName, openServer } from '../lib/server';
import { fmtBytes, fmtMs, fmtRatio, median, round, table } from '../lib/stats';

const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

type Contestant = 'dk' | 'gym';
const LABELS: Record<Contestant, string> = {
  dk: "drizzle-kit's SQL, drizzle migrate()",
  gym: 'db:generate + migrator (pre, post)',
};
/** application_name of each contestant's connection, for the lock sampler's statement timeline. */
const APPS: Record<Contestant, string> = { dk: 'bench-drizzle-kit', gym: 'gym-migrator' };
const TEMPLATE_DB = 950;
const COPY_DB = 951;

export const GENERATE_USAGE = `pnpm bench:migrate --mode generate [options]

The safe-generate corpus's schema changes on a loaded table, each applied twice on fresh copies of the same
database while an app reads and writes it: drizzle-kit's own SQL (drizzle-orm's migrate(), one transaction)
against the migration(s) pnpm db:generate writes (gym-db's migrator, pre-deploy then post-deploy).

  --rows N          training sessions to load (default 1000000; 100k, 1M accepted)
  --cases a,b       corpus cases to run, by name (default: all ${CORPUS_CASES.length}: ${CORPUS_CASES.map((c) => c.name).join(', ')})
  --runs N          runs per case and contestant (default 1; the order alternates); the summary is the median
  --window-ms N     app-only window before each contestant, its baseline (default 2000)
  --tail-ms N       app keeps running after the contestant (default 500)
  --sample-ms N     pg_locks / pg_stat_activity sampling interval (default 20)
  --out FILE        JSON result (default bench/results/generate-<rows>-<timestamp>.json)
`;

interface GenArgs {
  rows: number;
  cases: CorpusCase[];
  runs: number;
  windowMs: number;
  tailMs: number;
  sampleMs: number;
  out: string | null;
  help: boolean;
}

function parse(argv: string[]): GenArgs {
  const a: GenArgs = {
    rows: 1_000_000,
    cases: CORPUS_CASES,
    runs: 1,
    windowMs: 2000,
    tailMs: 500,
    sampleMs: 20,
    out: null,
    help: false,
  };
  eachFlag(argv, (flag, value, raw) => {
    if (flag === '--rows') a.rows = parseCount(value(), flag);
    else if (flag === '--runs') a.runs = parseCount(value(), flag);
    else if (flag === '--window-ms') a.windowMs = parseCount(value(), flag);
    else if (flag === '--tail-ms') a.tailMs = parseCount(value(), flag);
    else if (flag === '--sample-ms') a.sampleMs = parseCount(value(), flag);
    else if (flag === '--out') a.out = value();
    else if (flag === '--cases') {
      const names = value()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = names.filter((n) => !CORPUS_CASES.some((c) => c.name === n));
      if (unknown.length || !names.length)
        throw new Error(
          `--cases: unknown case ${unknown.join(', ') || '(none given)'}; the corpus has ${CORPUS_CASES.map((c) => c.name).join(', ')}`,
        );
      a.cases = CORPUS_CASES.filter((c) => names.includes(c.name));
    } else if (flag === '-h' || flag === '--help') a.help = true;
    else throw new Error(`unknown option for --mode generate: ${raw}`);
  });
  if (a.rows < 1000) throw new Error('--rows must be at least 1000');
  if (a.runs < 1 || a.runs > 20) throw new Error('--runs must be between 1 and 20');
  if (a.sampleMs < 5) throw new Error('--sample-ms must be at least 5');
  return a;
}

/** What the app saw in [from, to]: every query whose [sent, answered] overlaps it. */
interface Window {
  name: string;
  /** ms since the trial's origin. */
  from: number;
  to: number;
  totalMs: number;
  maxStallMs: number | null;
  queries: number;
  failed: number;
  failures: string[];
}

function appWindow(name: string, calls: AppCall[], origin: number, from: number, to: number): Window {
  const hit = calls.filter((q) => q.sent - origin <= to && q.sent - origin + q.ms >= from);
  const failed = hit.filter((q) => !q.ok);
  return {
    name,
    from: round(from, 1)!,
    to: round(to, 1)!,
    totalMs: round(to - from, 1)!,
    maxStallMs: hit.length ? round(Math.max(...hit.map((q) => q.ms)), 1) : null,
    queries: hit.length,
    failed: failed.length,
    failures: [...new Set(failed.map((q) => `${q.kind}: ${q.error}`))].slice(0, 5),
  };
}

interface Trial {
  run: number;
  case: string;
  contestant: Contestant;
  ok: boolean;
  error?: string;
  loadavgBefore: number[];
  /** The contestant's window (dk: the migrate() call; gym: from the pre-deploy call's start to the post-deploy's end). */
  total: Window;
  /** App-only window before the contestant. */
  baseline: Window;
  /**
   * The tail after it, the same app still running (dk: the old app, which a drop can break from the commit
   * on; gym: the new app, after the post-deploy step).
   */
  after: Window;
  /** gym: each migrate() call. */
  phases: Window[];
  /** The slowest app query during the contestant, and what the contestant's connection ran meanwhile. */
  slowest: { kind: string; sentAt: number; ms: number; ok: boolean; contestantRan: string[] } | null;
  walBytes: number;
  lockRetries: number;
  /** The migrator's notices (batch loops report their rows and batches). */
  notices: string[];
  statements: ReturnType<typeof statementDurations>;
  accessExclusive: { app: string; granted: boolean; fromMs: number; toMs: number; query: string }[];
  longestLockWaitMs: number;
  otherActiveBackendsMax: number;
  /** sha256 of the catalog after (gym_migrations' archives left out), to compare the two contestants. */
  catalogSha256: string | null;
  sessionsAfter: number | null;
  tableBytesAfter: number | null;
}

/** One line: PostgreSQL's own error (drizzle-orm wraps it as the cause of "Failed query: ..."), its SQLSTATE. */
function describeError(err: unknown): string {
  const outer = err as Error & { cause?: unknown };
  const e = (outer.cause instanceof Error ? outer.cause : outer) as Error & { hint?: string; code?: string };
  return `${e.code ? `${e.code}: ` : ''}${e.message}${e.hint ? ` (${e.hint})` : ''}`.replace(/\s+/g, ' ');
}

async function withDb<T>(url: string, app: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = await connectClient(url, app);
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

/** A fresh copy of the loaded template: CREATE DATABASE ... TEMPLATE (nobody may be connected to it). */
async function copyDatabase(server: BenchServer, from: number, to: number): Promise<string> {
  await withDb(server.url('postgres'), 'bench-admin', async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${dbName(to)} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${dbName(to)} TEMPLATE ${dbName(from)}`);
  });
  return server.url(dbName(to));
}

async function walLsn(c: pg.Client): Promise<string> {
  return (await c.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]!.l;
}

function shape(s: Partial<AppShape> | undefined): AppShape {
  return { reads: s?.reads ?? [], inserts: s?.inserts ?? {} };
}

/** The statements the contestant's connection ran while [from, to] (sampler timeline, trial ms). */
function ranDuring(timeline: StatementSpan[], from: number, to: number): string[] {
  const out: string[] = [];
  let before: StatementSpan | null = null;
  for (const s of timeline) {
    if (s.t <= from) before = s;
    else if (s.t <= to) out.push(`[${s.state}${s.wait ? ` ${s.wait}` : ''}] ${s.query}`);
  }
  if (before) out.unshift(`[${before.state}${before.wait ? ` ${before.wait}` : ''}] ${before.query}`);
  return [...new Set(out)].slice(0, 6);
}

async function trial(
  server: BenchServer,
  args: GenArgs,
  c: CorpusCase,
  ws: Workspace,
  gen: GenerateRun,
  machines: string[],
  who: Contestant,
  run: number,
): Promise<Trial> {
  const url = await copyDatabase(server, TEMPLATE_DB, COPY_DB);
  const admin = await connectClient(url, 'bench-admin');
  try {
    await admin.query('CHECKPOINT');
    const loadavgBefore = os.loadavg().map((x) => round(x, 2)!);
    const origin = performance.now();
    const sampler = new LockSampler(url, origin, args.sampleMs, [APPS[who]]);
    await sampler.prepare();
    const app = new CorpusApp(url, 0, shape(c.oldApp), args.rows, machines);
    const events: MigratorEvent[] = [];
    const marks: { name: string; from: number; to: number }[] = [];
    let error: string | undefined;
    let lockReport: LockReport;
    let walBytes = 0;
    sampler.start(4 * 3600_000);
    // Warm-up (the pool connects, plans get cached), then the baseline window.
    app.start();
    let t0 = 0;
    let t1 = 0;
    try {
      await sleep(500 + args.windowMs);
      const lsn0 = await walLsn(admin);
      t0 = performance.now() - origin;
      if (who === 'dk') {
        await drizzleMigrate(url, gen.drizzleSql, APPS.dk).catch((e) => (error = describeError(e)));
      } else {
        const reporter = (e: MigratorEvent) => events.push(e);
        const opts = { url, migrationsFolder: ws.migrations, reporter, connectRetryForMs: 0 };
        try {
          await migrate({ ...opts, preDeploy: true });
          const tPre = performance.now() - origin;
          marks.push({ name: 'pre-deploy', from: t0, to: tPre });
          // The rollout: the new app replaces the old one before the post-deploy step.
          app.shape = shape(c.newApp);
          const tPost = performance.now() - origin;
          await migrate(opts);
          marks.push({ name: 'post-deploy', from: tPost, to: performance.now() - origin });
        } catch (e) {
          error = describeError(e);
        }
      }
      t1 = performance.now() - origin;
      const lsn1 = await walLsn(admin);
      walBytes = Number(
        (await admin.query<{ d: string }>('SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::bigint AS d', [lsn1, lsn0]))
          .rows[0]!.d,
      );
      await sleep(args.tailMs);
    } finally {
      await app.stop();
      lockReport = await sampler.stop();
    }
    const calls = app.calls;
    const total = appWindow('total', calls, origin, t0, t1);
    const baseline = appWindow('baseline', calls, origin, t0 - args.windowMs, t0);
    const after = appWindow('after', calls, origin, t1, t1 + args.tailMs);
    const during = calls.filter((q) => q.sent - origin <= t1 && q.sent - origin + q.ms >= t0);
    const worst = during.reduce<AppCall | null>((a, q) => (!a || q.ms > a.ms ? q : a), null);
    let catalogSha256: string | null = null;
    let sessionsAfter: number | null = null;
    let tableBytesAfter: number | null = null;
    if (!error) {
      const snap = withoutMigrationArchives(await catalogSnapshot(admin));
      catalogSha256 = crypto.createHash('sha256').update(JSON.stringify(snap)).digest('hex');
      const r = (
        await admin.query<{ n: string; b: string }>(
          `SELECT count(*) AS n, pg_total_relation_size('training_sessions') AS b FROM training_sessions`,
        )
      ).rows[0]!;
      sessionsAfter = Number(r.n);
      tableBytesAfter = Number(r.b);
    }
    return {
      run,
      case: c.name,
      contestant: who,
      ok: !error,
      ...(error ? { error } : {}),
      loadavgBefore,
      total,
      baseline,
      after,
      phases: marks.map((m) => appWindow(m.name, calls, origin, m.from, m.to)),
      slowest: worst
        ? {
            kind: worst.kind,
            sentAt: round(worst.sent - origin - t0, 1)!,
            ms: round(worst.ms, 1)!,
            ok: worst.ok,
            contestantRan: ranDuring(lockReport.timeline, worst.sent - origin, worst.sent - origin + worst.ms),
          }
        : null,
      walBytes,
      lockRetries: events.filter((e) => e.event === 'lock_retry').length,
      notices: events.flatMap((e) => (e.event === 'notice' ? [`${e.tag}: ${e.message}`] : [])),
      statements: statementDurations(lockReport.timeline, t1),
      accessExclusive: lockReport.accessExclusive.map((x) => ({
        app: x.app,
        granted: x.granted,
        fromMs: round(x.firstSeen - t0, 0)!,
        toMs: round(x.lastSeen - t0, 0)!,
        query: x.query,
      })),
      longestLockWaitMs: round(lockReport.longestAnyWaitMs, 1)!,
      otherActiveBackendsMax: lockReport.interference.otherActiveBackendsMax,
      catalogSha256,
      sessionsAfter,
      tableBytesAfter,
    };
  } finally {
    await admin.end().catch(() => {});
    await server.dropDatabase(COPY_DB).catch((e) => log(`  could not drop ${dbName(COPY_DB)}: ${e.message}`));
  }
}

function trialLine(t: Trial): string {
  const phases = t.phases.length
    ? ` (${t.phases.map((p) => `${p.name} ${fmtMs(p.totalMs)}, stall ${fmtMs(p.maxStallMs)}`).join('; ')})`
    : '';
  const after = t.after.failed
    ? `; after it, ${t.after.failed}/${t.after.queries} failed (${t.after.failures[0]})`
    : '';
  return `  ${t.contestant}: ${t.ok ? 'done' : `FAILED: ${t.error}`} in ${fmtMs(t.total.totalMs)}, max app stall ${fmtMs(t.total.maxStallMs)} (baseline ${fmtMs(t.baseline.maxStallMs)}), ${t.total.failed}/${t.total.queries} app queries failed${phases}${after}; WAL ${fmtBytes(t.walBytes)}; load ${t.loadavgBefore.join(' ')}`;
}

export async function runGenerate(argv: string[]): Promise<number> {
  let args: GenArgs;
  try {
    args = parse(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${GENERATE_USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(GENERATE_USAGE);
    return 0;
  }
  const started = new Date();
  const loadavgAtStart = os.loadavg().map((x) => round(x, 2)!);
  const server = await openServer(process.env.DATABASE_URL, log);
  const trials: Trial[] = [];
  const generated: Record<string, { drizzleSql: string[]; files: { tag: string; phase: unknown }[] }> = {};
  let serverVersion = '?';
  const base = copyDbPackage();
  try {
    serverVersion = await withDb(
      server.url('postgres'),
      'bench-info',
      async (c) => (await c.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]!.v,
    );
    log(
      `server: ${server.describe()}, PostgreSQL ${serverVersion}; ${os.availableParallelism()} cores; load average ${loadavgAtStart.join(' ')}`,
    );
    baseEdit(base);
    const baseRun = await generate(base, 'corpus_base');
    if (baseRun.code !== 0)
      throw new Error(`db:generate of the corpus base failed: ${baseRun.stderr || baseRun.stdout}`);

    // The loaded database every trial copies: the base schema, then the corpus's rows (corpus.ts).
    const templateUrl = await server.freshDatabase(TEMPLATE_DB);
    await migrate({ url: templateUrl, migrationsFolder: base.migrations, connectRetryForMs: 0 });
    const pool = new pg.Pool({ connectionString: templateUrl, max: 1, application_name: 'bench-load' });
    let machines: string[];
    try {
      const t = performance.now();
      log(`loading ${args.rows.toLocaleString('en-US')} sessions into ${dbName(TEMPLATE_DB)}`);
      await loadCorpusRows(pool, args.rows);
      machines = (await pool.query<{ id: string }>('SELECT id FROM machines ORDER BY machine_number')).rows.map(
        (r) => r.id,
      );
      const size = (await pool.query<{ b: string }>(`SELECT pg_total_relation_size('training_sessions') AS b`)).rows[0]!
        .b;
      log(`  loaded in ${fmtMs(performance.now() - t)}; training_sessions with indexes ${fmtBytes(Number(size))}`);
    } finally {
      await pool.end();
    }

    for (const [ci, c] of args.cases.entries()) {
      const ws = base.copy();
      try {
        c.edit(ws);
        const gen = await generate(ws, c.name, c.args ?? []);
        if (gen.code !== 0) throw new Error(`db:generate of ${c.name} failed (exit ${gen.code}): ${gen.stderr}`);
        generated[c.name] = {
          drizzleSql: gen.drizzleSql,
          files: gen.events.filter((e) => e.event === 'file').map((e) => ({ tag: String(e.tag), phase: e.phase })),
        };
        log(
          `\n== ${c.name}: ${c.title}\n  drizzle-kit: ${gen.drizzleSql.length} statement(s); db:generate: ${generated[c.name]!.files.map((f) => `${f.tag} (${f.phase})`).join(', ')}`,
        );
        for (let run = 1; run <= args.runs; run++) {
          const order: Contestant[] = (ci + run) % 2 === 1 ? ['dk', 'gym'] : ['gym', 'dk'];
          for (const who of order) {
            const t = await trial(server, args, c, ws, gen, machines, who, run);
            log(trialLine(t));
            if (t.slowest && t.slowest.ms > 100)
              log(
                `    slowest app query: ${t.slowest.kind} ${fmtMs(t.slowest.ms)}; meanwhile ${t.slowest.contestantRan.find((q) => q.startsWith('[active')) ?? t.slowest.contestantRan[0] ?? '?'}`,
              );
            trials.push(t);
          }
        }
      } finally {
        ws.remove();
      }
    }
  } finally {
    base.remove();
    await server.dropDatabase(TEMPLATE_DB).catch(() => {});
    await server.stop();
  }

  // Summary: per case, the median over the runs of each figure.
  // Over every trial, failed ones included (how long drizzle-kit's SQL ran, and stalled the app, before it failed).
  const med = (name: string, who: Contestant, f: (t: Trial) => number | null) =>
    median(trials.filter((t) => t.case === name && t.contestant === who).map(f));
  const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? a / b : null);
  const rows: string[][] = [];
  const notes: string[] = [];
  const summary = args.cases.map((c) => {
    const dkFailed = trials.find((t) => t.case === c.name && t.contestant === 'dk' && !t.ok);
    const gymFailed = trials.find((t) => t.case === c.name && t.contestant === 'gym' && !t.ok);
    const failedQ = (who: Contestant) =>
      median(trials.filter((t) => t.case === c.name && t.contestant === who).map((t) => t.total.failed));
    const s = {
      case: c.name,
      dk: {
        failed: dkFailed?.error ?? null,
        totalMs: med(c.name, 'dk', (t) => t.total.totalMs),
        maxStallMs: med(c.name, 'dk', (t) => t.total.maxStallMs),
        failedQueries: failedQ('dk'),
      },
      gym: {
        failed: gymFailed?.error ?? null,
        totalMs: med(c.name, 'gym', (t) => t.total.totalMs),
        maxStallMs: med(c.name, 'gym', (t) => t.total.maxStallMs),
        failedQueries: failedQ('gym'),
      },
      sameCatalog: (() => {
        const shas = trials.filter((t) => t.case === c.name && t.ok).map((t) => `${t.contestant} ${t.catalogSha256}`);
        const dk = new Set(shas.filter((x) => x.startsWith('dk ')).map((x) => x.slice(3)));
        const gym = new Set(shas.filter((x) => x.startsWith('gym ')).map((x) => x.slice(4)));
        return dk.size && gym.size ? dk.size === 1 && gym.size === 1 && [...dk][0] === [...gym][0] : null;
      })(),
      ratioTotal: null as number | null,
      ratioStall: null as number | null,
    };
    // Ratios only where both did the change.
    if (!s.dk.failed && !s.gym.failed) {
      s.ratioTotal = ratio(s.gym.totalMs, s.dk.totalMs);
      s.ratioStall = ratio(s.gym.maxStallMs, s.dk.maxStallMs);
    }
    const cell = (failed: string | null, ms: number | null) => (failed ? `failed, ${fmtMs(ms)}` : fmtMs(ms));
    rows.push([
      c.name,
      cell(s.dk.failed, s.dk.totalMs),
      cell(s.gym.failed, s.gym.totalMs),
      fmtRatio(s.ratioTotal),
      fmtMs(s.dk.maxStallMs),
      fmtMs(s.gym.maxStallMs),
      fmtRatio(s.ratioStall),
      `${s.dk.failedQueries ?? '-'} / ${s.gym.failedQueries ?? '-'}`,
      s.sameCatalog === null ? '-' : s.sameCatalog ? 'yes' : 'NO',
    ]);
    if (s.dk.failed) notes.push(`${c.name}: drizzle-kit's SQL cannot run here: ${s.dk.failed}`);
    if (s.gym.failed) notes.push(`${c.name}: the generated migration FAILED: ${s.gym.failed}`);
    return s;
  });
  const outFile =
    args.out ?? path.join(RESULTS_DIR, `generate-${args.rows}-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  const out = [
    '',
    `pnpm bench:migrate --mode generate, ${args.rows.toLocaleString('en-US')} sessions, ${args.runs === 1 ? 'one run' : `median of ${args.runs} runs`} per case and contestant; load average at start ${loadavgAtStart.join(' ')}`,
    "dk = drizzle-kit's SQL through drizzle-orm's migrate(); gym = db:generate's migration(s) through the migrator (pre-deploy + post-deploy)",
    table(
      [
        'case',
        'dk total',
        'gym total',
        'gym/dk',
        'dk max stall',
        'gym max stall',
        'gym/dk',
        'failed app queries dk / gym',
        'same catalog',
      ],
      rows,
    ),
    ...notes,
    `JSON: ${path.relative(process.cwd(), outFile)}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
  fs.writeFileSync(
    outFile,
    `${JSON.stringify(
      {
        meta: {
          date: started.toISOString(),
          finished: new Date().toISOString(),
          command: `pnpm bench:migrate --mode generate ${argv.join(' ')}`.trim(),
          args: { ...args, cases: args.cases.map((c) => c.name) },
          loadavgAtStart,
          loadavgAtEnd: os.loadavg().map((x) => round(x, 2)!),
          machine: {
            nproc: os.availableParallelism(),
            cpu: os.cpus()[0]?.model ?? '?',
            memGiB: round(os.totalmem() / 1024 ** 3, 1),
          },
          server: { where: server.describe(), version: serverVersion },
          contestants: LABELS,
          definitions: {
            total:
              'dk: the whole drizzle-orm migrate() call (connect, one transaction, disconnect); gym: from the start of migrate({ preDeploy: true }) to the end of migrate() (the two calls, each connecting and taking the advisory lock)',
            maxStall:
              "the longest latency (send to answer) of any app query whose [sent, answered] overlaps the contestant's window; the app runs with no lock_timeout, so a query blocked by a lock shows the whole wait",
            baseline: 'the same over the app-only window just before the contestant',
            sameCatalog:
              "the catalog after both contestants is the same (gym_migrations' archives left out); '-' when drizzle-kit's SQL failed",
          },
        },
        summary,
        generated,
        trials,
      },
      null,
      1,
    )}\n`,
  );
  return trials.some((t) => t.contestant === 'gym' && (!t.ok || t.total.failed > 0)) ? 1 : 0;
}

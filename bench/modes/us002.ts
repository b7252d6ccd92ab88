/**
 * pnpm bench:migrate [--rows 1000000] [--runs 3] [--contestants a,b] [--out bench/results/<file>.json]
 *
 * The US-002 migration (0001_machines -> latest) under live traffic, side by side:
 *   (a) the seed story's SQL (bench/seed-us002.sql, verbatim) in one transaction, as Drizzle's migrate() runs it,
 *       after DROP VIEW IF EXISTS of the three baseline views that read the dropped columns (same transaction);
 *   (b) gym-db's own migrator, migrate({ url }) up to latest.
 * For every run and contestant: a fresh database, the migrator up to 0001_machines, N old-schema sessions,
 * VACUUM ANALYZE, CHECKPOINT; then a probe on three connections of its own (reads, inserts, updates on
 * training_sessions at a fixed rate), a baseline window, the contestant, and a lock sampler on another
 * connection while it runs. See bench/README.md for the definitions and bench/RESULTS.md for figures.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { migrationsFolder } from '@gym/db/migrations';
import { migrate, readApplied } from '@gym/migrate';
import type pg from 'pg';
import {
  inWindow,
  overlapping,
  type SlowQuery,
  slowQueries,
  statementDurations,
  type WindowStats,
  windowStats,
} from '../lib/analyze';
import { type BenchArgs, parseArgs, USAGE } from '../lib/args';
import {
  CONTESTANTS,
  type ContestantId,
  type ContestantRun,
  runContestant,
  SEED_PRELUDE,
  SEED_SQL_FILE,
} from '../lib/contestants';
import { type ExplainReport, explainSuite, type PlanCheck } from '../lib/explain';
import { type LoadResult, loadOldSchema } from '../lib/load';
import { type LockReport, LockSampler } from '../lib/locks';
import { BENCH_DIR, RESULTS_DIR } from '../lib/paths';
import { Probe, type ProbeKind } from '../lib/probe';
import { type BenchServer, connectClient, dbName, openServer } from '../lib/server';
import { fmtBytes, fmtMs, fmtRatio, median, round, table } from '../lib/stats';

const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

interface Trial {
  run: number;
  contestant: ContestantId;
  label: string;
  database: string;
  rows: number;
  loadavgBefore: number[];
  load: LoadResult;
  migration: Omit<ContestantRun, 'events'>;
  events: ContestantRun['events'];
  walBytes: number;
  /** Checkpoints started or finished on the server while the contestant ran (pg_stat_bgwriter, timed + requested). */
  checkpointsDuring: number;
  probe: {
    rates: Record<ProbeKind, number>;
    baseline: WindowStats;
    during: WindowStats;
    skippedTicks: Record<ProbeKind, number>;
    shapeChanges: { t: number; hasMachineId: boolean; how: string }[];
    pids: Record<ProbeKind, number>;
    /** Every probe query: [sent (bench ms), kind, latency ms, ok]. */
    samples: [number, ProbeKind, number, boolean][];
  };
  locks: Omit<LockReport, 'timeline'> & { statements: ReturnType<typeof statementDurations> };
  slow: SlowQuery[];
  /** The slowest baseline queries above slow-ms / 2, with the probe backend's wait events. */
  baselineSlow: SlowQuery[];
  /** sha256 of 0002 as read just before the contestant ran (the migration files may change between runs). */
  migration0002Sha256: string;
  eventLoopDuringMs: { max: number; p99: number };
  schemaAfter: Record<string, unknown>;
  explain?: ExplainReport;
}

function sha256File(file: string): string {
  try {
    return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  } catch {
    return '?';
  }
}

/** Which code ran: git HEAD, uncommitted changes to the migrator and the migrations, and each file's sha256. */
function provenance() {
  const root = path.resolve(BENCH_DIR, '..');
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '?';
    }
  };
  const files = fs
    .readdirSync(migrationsFolder)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  return {
    gitHead: git(['rev-parse', 'HEAD']),
    uncommitted: git(['status', '--porcelain', '--', 'packages/migrate', 'apps/migrator', 'packages/db/migrations'])
      .split('\n')
      .filter(Boolean),
    migrations: Object.fromEntries(files.map((f) => [f, sha256File(path.join(migrationsFolder, f))])),
    seedSql: sha256File(SEED_SQL_FILE),
  };
}

async function checkpoints(c: pg.Client): Promise<number> {
  const { rows } = await c.query<{ n: string }>(
    'SELECT (checkpoints_timed + checkpoints_req)::bigint AS n FROM pg_stat_bgwriter',
  );
  return Number(rows[0]!.n);
}

async function serverInfo(url: string) {
  const c = await connectClient(url, 'bench-info');
  try {
    const { rows } = await c.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings
        WHERE name IN ('server_version', 'shared_buffers', 'max_wal_size', 'fsync', 'synchronous_commit', 'full_page_writes',
                       'maintenance_work_mem', 'work_mem', 'max_parallel_maintenance_workers', 'checkpoint_timeout',
                       'wal_level', 'autovacuum', 'deadlock_timeout', 'lock_timeout', 'random_page_cost')
        ORDER BY name`,
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.unit ? `${r.setting} (${r.unit})` : r.setting]));
  } finally {
    await c.end().catch(() => {});
  }
}

async function schemaAfter(
  url: string,
  contestant: ContestantId,
  serverStart: string,
): Promise<Record<string, unknown>> {
  const c = await connectClient(url, 'bench-verify');
  try {
    const cols = (
      await c.query<{ column_name: string; is_nullable: string }>(
        `SELECT column_name, is_nullable FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = 'training_sessions' ORDER BY ordinal_position`,
      )
    ).rows;
    const idx = (
      await c.query<{ indexname: string; indexdef: string; valid: boolean }>(
        `SELECT i.indexname, i.indexdef, x.indisvalid AS valid FROM pg_indexes i JOIN pg_index x ON x.indexrelid = (quote_ident(i.indexname))::regclass
        WHERE i.tablename = 'training_sessions' ORDER BY i.indexname`,
      )
    ).rows;
    const fk = (
      await c.query<{ conname: string; validated: boolean; def: string }>(
        `SELECT conname, convalidated AS validated, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE conrelid = 'training_sessions'::regclass AND contype = 'f' ORDER BY conname`,
      )
    ).rows;
    const views = (
      await c.query<{ v: string }>(
        `SELECT table_name AS v FROM information_schema.views WHERE table_schema = 'public' ORDER BY 1`,
      )
    ).rows.map((r) => r.v);
    const counts = (
      await c.query<{ sessions: string; no_machine: string; archive: string | null }>(
        `SELECT (SELECT count(*) FROM training_sessions) AS sessions,
              (SELECT count(*) FROM training_sessions WHERE machine_id IS NULL) AS no_machine,
              to_regclass('training_sessions_us002_archive')::text AS archive`,
      )
    ).rows[0]!;
    // The archive's name comes from the catalog (to_regclass), never from input.
    const archiveRows = counts.archive
      ? Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${counts.archive}`)).rows[0]!.n)
      : null;
    // AC-5 (no data loss) under traffic: every session that existed when the migration started must have its
    // old max_participants and location in the archive.
    const unarchived = counts.archive
      ? Number(
          (
            await c.query<{ n: string }>(
              `SELECT count(*) AS n FROM training_sessions t
              WHERE t.created_at < $1::timestamptz
                AND NOT EXISTS (SELECT 1 FROM ${counts.archive} a WHERE a.session_id = t.id)`,
              [serverStart],
            )
          ).rows[0]!.n,
        )
      : null;
    const applied = await readApplied(c).then(
      (rows) => String(rows.length),
      () => '?',
    );
    return {
      columns: cols.map((r) => `${r.column_name}${r.is_nullable === 'NO' ? ' NOT NULL' : ''}`),
      indexes: idx.map((r) => `${r.indexdef}${r.valid ? '' : ' INVALID'}`),
      foreignKeys: fk.map((r) => `${r.conname}: ${r.def}${r.validated ? '' : ' NOT VALID'}`),
      views,
      sessions: Number(counts.sessions),
      sessionsWithoutMachine: Number(counts.no_machine),
      archiveTable: counts.archive,
      archiveRows,
      sessionsFromBeforeTheMigrationWithoutArchiveRow: unarchived,
      migrationsRecorded: Number(applied),
      contestant,
    };
  } finally {
    await c.end().catch(() => {});
  }
}

async function runTrial(
  server: BenchServer,
  args: BenchArgs,
  n: number,
  run: number,
  id: ContestantId,
): Promise<Trial> {
  const database = dbName(n);
  log(
    `\n== run ${run}/${args.runs}, contestant ${CONTESTANTS[id].label}, database ${database}, ${args.rows.toLocaleString('en-US')} rows`,
  );
  const url = await server.freshDatabase(n);
  try {
    await migrate({ url, to: '0001_machines' });
    log(`  migrated to 0001_machines; loading`);
    const admin = await connectClient(url, 'bench-admin');
    try {
      const load = await loadOldSchema(admin, {
        rows: args.rows,
        trainers: args.trainers,
        members: args.members,
        chunk: args.chunk,
        log,
      });
      log(
        `  loaded ${load.sessions.toLocaleString('en-US')} sessions, ${load.bookings.toLocaleString('en-US')} bookings in ${fmtMs(load.loadMs)} (VACUUM ANALYZE ${fmtMs(load.vacuumMs)}); table ${fmtBytes(load.tableBytes)}, with indexes ${fmtBytes(load.totalRelationBytes)}`,
      );
      await admin.query('CHECKPOINT');
      const loadavgBefore = os.loadavg().map((x) => round(x, 2)!);

      const origin = performance.now();
      const rates = { read: args.readRate, insert: args.insertRate, update: args.updateRate };
      const maxMs = args.warmupMs + args.baselineMs + args.maxMigrationS * 1000 + args.tailMs + 60_000;
      const probe = new Probe({ url, rates, origin, maxDurationMs: maxMs, idSample: 20_000 });
      await probe.prepare();
      const sampler = new LockSampler(url, origin, args.sampleMs, [CONTESTANTS.a.app, CONTESTANTS.b.app]);
      await sampler.prepare();
      const loop = monitorEventLoopDelay({ resolution: 10 });

      let result: ContestantRun;
      let walBytes = 0;
      let ckpt0 = 0;
      let migration0002Sha256 = '';
      let serverStart = '';
      let checkpointsDuring = 0;
      let lockReport: LockReport;
      const probeStart = performance.now() - origin;
      // The sampler runs from the probe's start, so that it costs the same in the baseline window as during
      // the migration, and so that slow baseline queries get their wait events too.
      sampler.start(args.warmupMs + args.baselineMs + args.maxMigrationS * 1000 + 10_000);
      probe.start();
      try {
        await sleep(args.warmupMs + args.baselineMs);
        const lsn0 = (await admin.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]!.l;
        ckpt0 = await checkpoints(admin);
        migration0002Sha256 = sha256File(path.join(migrationsFolder, '0002_training_sessions_machines.sql'));
        serverStart = (await admin.query<{ t: string }>('SELECT clock_timestamp()::text AS t')).rows[0]!.t;
        loop.enable();
        const ac = new AbortController();
        const timer = setTimeout(() => ac.abort(), args.maxMigrationS * 1000);
        try {
          result = await runContestant(id, url, origin, ac.signal);
        } finally {
          clearTimeout(timer);
          loop.disable();
        }
        const lsn1 = (await admin.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]!.l;
        walBytes = Number(
          (
            await admin.query<{ d: string }>('SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::bigint AS d', [
              lsn1,
              lsn0,
            ])
          ).rows[0]!.d,
        );
        checkpointsDuring = (await checkpoints(admin)) - ckpt0;
        await sleep(args.tailMs);
        lockReport = await sampler.stop();
      } finally {
        await probe.stop();
        await probe.close();
        await sampler.stop().catch(() => null);
      }
      log(`  ${id}: ${result.ok ? 'done' : `FAILED: ${result.error}`} in ${fmtMs(result.durationMs)}`);

      const baseFrom = probeStart + args.warmupMs;
      const baseline = windowStats(inWindow(probe.samples, baseFrom, result.start), baseFrom, result.start);
      const duringSamples = overlapping(probe.samples, result.start, result.end);
      const during = windowStats(duringSamples, result.start, result.end);
      const slow = slowQueries(duringSamples, args.slowMs, probe.pids, lockReport, result.events);
      const baselineSlow = slowQueries(
        inWindow(probe.samples, baseFrom, result.start),
        args.slowMs / 2,
        probe.pids,
        lockReport,
        [],
        5,
      );
      const { timeline, ...lockRest } = lockReport;

      const trial: Trial = {
        run,
        contestant: id,
        label: CONTESTANTS[id].label,
        database,
        rows: args.rows,
        loadavgBefore,
        load,
        migration: {
          ok: result.ok,
          ...(result.error ? { error: result.error } : {}),
          start: round(result.start, 1)!,
          end: round(result.end, 1)!,
          durationMs: round(result.durationMs, 1)!,
        },
        events: result.events.map((e) => ({ ...e, t: round(e.t, 1)! })),
        walBytes,
        checkpointsDuring,
        probe: {
          rates,
          baseline,
          during,
          skippedTicks: probe.skipped(),
          shapeChanges: probe.shapeChanges.map((s) => ({ ...s, t: round(s.t, 1)! })),
          pids: probe.pids,
          samples: probe.samples.map((s) => [round(s.t, 1)!, s.kind, round(s.ms, 2)!, s.ok]),
        },
        locks: { ...lockRest, statements: statementDurations(timeline, result.end) },
        slow,
        baselineSlow,
        migration0002Sha256,
        eventLoopDuringMs: { max: round(loop.max / 1e6, 1) ?? 0, p99: round(loop.percentile(99) / 1e6, 1) ?? 0 },
        schemaAfter: await schemaAfter(url, id, serverStart),
      };
      if (result.ok && during.all.max !== null) {
        log(
          `  probe during: p50 ${fmtMs(during.all.p50)}, p99 ${fmtMs(during.all.p99)}, max ${fmtMs(during.all.max)} (${during.all.n} queries, ${during.errors} errors); baseline max ${fmtMs(baseline.all.max)}; WAL ${fmtBytes(walBytes)}; longest AE wait ${fmtMs(lockReport.longestAccessExclusiveWaitMs)}`,
        );
      }
      const inf = lockReport.interference;
      if (inf.samplesWithOtherActive > 0 || checkpointsDuring > 0 || inf.samplesCheckpointerBusy > 0) {
        log(
          `  note: other work on the server during the migration: up to ${inf.otherActiveBackendsMax} active backends in other databases (${inf.samplesWithOtherActive}/${lockReport.samples} samples), checkpointer busy in ${inf.samplesCheckpointerBusy} samples, ${checkpointsDuring} checkpoint(s) counted`,
        );
      }
      for (const s of slow.slice(0, 5)) {
        log(
          `    slow ${s.kind} ${fmtMs(s.ms)} at +${fmtMs(s.t - result.start)}: migrator ${s.migratorAtSend ?? '?'}${s.lockWaits.length ? `; waited ${s.lockWaits.map((w) => `${w.mode} ${fmtMs(w.maxWaitMs)} behind ${w.blockers.join(' | ')}`).join('; ')}` : ''}`,
        );
      }
      if (id === 'b' && args.explain && result.ok) {
        log(`  EXPLAIN part (probe stopped)`);
        trial.explain = await explainSuite(url, { runs: args.explainRuns, reassign: args.reassign, log });
        for (const p of trial.explain.plans) log(`    ${p.name}: ${planSummary(p)}`);
        for (const l of trial.explain.latencies)
          log(`    ${l.name}: median ${fmtMs(l.medianMs)} over ${l.runs} (${l.outcome})`);
      }
      return trial;
    } finally {
      await admin.end().catch(() => {});
    }
  } finally {
    if (!args.keep)
      await server.dropDatabase(n).catch((e) => log(`  could not drop ${database}: ${(e as Error).message}`));
  }
}

function planSummary(p: PlanCheck): string {
  const exec = p.executionMs !== null ? `, execution ${p.executionMs} ms` : '';
  // The DELETE's own plan scans machines (4 rows with the RESTRICT check's scratch machine); what matters is its RESTRICT trigger's time.
  if (p.triggerMs !== undefined)
    return `RESTRICT trigger ${p.triggerMs} ms${exec} (the trigger's query plan is listed separately)`;
  const scans = [p.indexes.length ? `index ${p.indexes.join(', ')}` : 'no index', p.seqScan ? 'Seq Scan' : '']
    .filter(Boolean)
    .join(' + ');
  return `${scans}${p.rows !== undefined ? `, ${p.rows} rows` : ''}${exec}`;
}

interface ContestantSummary {
  runs: number;
  failed: number;
  totalMs: number | null;
  baseline: { p50: number | null; p99: number | null; max: number | null };
  during: { p50: number | null; p99: number | null; max: number | null };
  walBytes: number | null;
  longestAeWaitMs: number | null;
  probeErrors: number | null;
  /** Median over the runs of each kind's max during the migration: reads commit no WAL, writes do. */
  duringMaxByKind: Record<ProbeKind, number | null>;
  baselineMaxByKind: Record<ProbeKind, number | null>;
}

function summarizeContestant(trials: Trial[]): ContestantSummary {
  const ok = trials.filter((t) => t.migration.ok);
  const m = (f: (t: Trial) => number | null) => median(ok.map(f));
  return {
    runs: trials.length,
    failed: trials.length - ok.length,
    totalMs: m((t) => t.migration.durationMs),
    baseline: {
      p50: m((t) => t.probe.baseline.all.p50),
      p99: m((t) => t.probe.baseline.all.p99),
      max: m((t) => t.probe.baseline.all.max),
    },
    during: {
      p50: m((t) => t.probe.during.all.p50),
      p99: m((t) => t.probe.during.all.p99),
      max: m((t) => t.probe.during.all.max),
    },
    walBytes: m((t) => t.walBytes),
    longestAeWaitMs: m((t) => t.locks.longestAccessExclusiveWaitMs),
    probeErrors: m((t) => t.probe.during.errors),
    duringMaxByKind: {
      read: m((t) => t.probe.during.byKind.read.max),
      insert: m((t) => t.probe.during.byKind.insert.max),
      update: m((t) => t.probe.during.byKind.update.max),
    },
    baselineMaxByKind: {
      read: m((t) => t.probe.baseline.byKind.read.max),
      insert: m((t) => t.probe.baseline.byKind.insert.max),
      update: m((t) => t.probe.baseline.byKind.update.max),
    },
  };
}

function ratio(b: number | null, a: number | null): number | null {
  return a !== null && b !== null && a > 0 ? b / a : null;
}

function trialRow(t: Trial): string[] {
  return [
    `${t.contestant} run ${t.run}`,
    t.migration.ok ? fmtMs(t.migration.durationMs) : 'FAILED',
    fmtMs(t.probe.baseline.all.p50),
    fmtMs(t.probe.baseline.all.p99),
    fmtMs(t.probe.baseline.all.max),
    fmtMs(t.probe.during.all.p50),
    fmtMs(t.probe.during.all.p99),
    fmtMs(t.probe.during.all.max),
    String(t.probe.during.all.n),
    String(t.probe.during.errors),
    fmtBytes(t.walBytes),
    fmtMs(t.locks.longestAccessExclusiveWaitMs),
  ];
}

function summaryRow(name: string, s: ContestantSummary): string[] {
  return [
    name,
    fmtMs(s.totalMs),
    fmtMs(s.baseline.p50),
    fmtMs(s.baseline.p99),
    fmtMs(s.baseline.max),
    fmtMs(s.during.p50),
    fmtMs(s.during.p99),
    fmtMs(s.during.max),
    '',
    s.probeErrors === null ? '-' : String(s.probeErrors),
    fmtBytes(s.walBytes),
    fmtMs(s.longestAeWaitMs),
  ];
}

export async function runUs002(argv: string[]): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const started = new Date();
  const codeAtStart = provenance();
  const server = await openServer(process.env.DATABASE_URL, log);
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    log('interrupted: finishing the current trial, then stopping');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const trials: Trial[] = [];
  let info: Record<string, string> = {};
  try {
    info = await serverInfo(server.url('postgres'));
    log(
      `server: ${server.describe()}, PostgreSQL ${info.server_version}; ${os.availableParallelism()} cores, ${Math.round(os.totalmem() / 1024 ** 3)} GiB`,
    );
    let n = 0;
    for (let run = 1; run <= args.runs && !stopping; run++) {
      // Alternate the order (a,b / b,a / ...) so that neither contestant always runs on a warmer machine.
      const order = run % 2 === 1 ? args.contestants : [...args.contestants].reverse();
      for (const id of order) {
        if (stopping) break;
        n++;
        trials.push(await runTrial(server, args, n, run, id));
      }
    }
  } finally {
    await server.stop().catch(() => {});
  }

  const byC = (id: ContestantId) => trials.filter((t) => t.contestant === id);
  const summary: Partial<Record<ContestantId, ContestantSummary>> = {};
  for (const id of args.contestants) if (byC(id).length) summary[id] = summarizeContestant(byC(id));
  const a = summary.a;
  const b = summary.b;
  const ratios =
    a && b
      ? {
          totalMs: ratio(b.totalMs, a.totalMs),
          probeMax: ratio(b.during.max, a.during.max),
          probeP99: ratio(b.during.p99, a.during.p99),
          probeP50: ratio(b.during.p50, a.during.p50),
          walBytes: ratio(b.walBytes, a.walBytes),
          longestAeWait: ratio(b.longestAeWaitMs, a.longestAeWaitMs),
        }
      : null;
  const probeTarget = args.rows > 1_000_000 ? 100 : 50;
  const targets =
    b && args.rows >= 1_000_000
      ? [
          {
            target: `(b) probe max during the migration <= ${probeTarget} ms`,
            value: b.during.max,
            met: b.during.max !== null && b.during.max <= probeTarget,
          },
          ...(a && ratios
            ? [
                {
                  target: '(b) total time <= 1/5 of (a)',
                  value: ratios.totalMs,
                  met: ratios.totalMs !== null && ratios.totalMs <= 0.2,
                },
              ]
            : []),
        ]
      : [];
  const explainTrials = trials.filter((t) => t.explain);
  const explainSummary = explainTrials.length
    ? explainTrials[0]!.explain!.latencies.map((l, i) => ({
        name: l.name,
        medianOfMediansMs: median(explainTrials.map((t) => t.explain!.latencies[i]?.medianMs)),
        runs: l.runs,
        outcome: l.outcome,
      }))
    : [];

  // stdout: the tables
  const header = [
    'contestant',
    'total',
    'base p50',
    'base p99',
    'base max',
    'mig p50',
    'mig p99',
    'mig max',
    'probe n',
    'errors',
    'WAL',
    'AE wait',
  ];
  const out: string[] = [];
  out.push(
    `\nUS-002 migration under live traffic: ${args.rows.toLocaleString('en-US')} sessions, ${args.runs} run(s), ${server.describe()}, PostgreSQL ${info.server_version ?? '?'}`,
  );
  out.push(
    `probe: ${args.readRate} reads/s, ${args.insertRate} inserts/s, ${args.updateRate} updates/s; baseline window ${args.baselineMs} ms; (a) = seed SQL in one transaction, prefixed with "${SEED_PRELUDE}"\n`,
  );
  out.push(table(header, trials.map(trialRow)));
  if (a || b) {
    out.push(`\nmedian of ${args.runs} run(s):`);
    const rows: string[][] = [];
    if (a) rows.push(summaryRow('(a) seed SQL', a));
    if (b) rows.push(summaryRow('(b) gym-db migrator', b));
    out.push(table(header, rows));
  }
  for (const [id, sm] of Object.entries(summary) as [ContestantId, ContestantSummary][]) {
    const k = (r: Record<ProbeKind, number | null>) =>
      `read ${fmtMs(r.read)}, insert ${fmtMs(r.insert)}, update ${fmtMs(r.update)}`;
    out.push(
      `(${id}) probe max by kind (median of runs): during ${k(sm.duringMaxByKind)}; baseline ${k(sm.baselineMaxByKind)}`,
    );
  }
  if (ratios) {
    out.push(
      `\nratios b/a: total ${fmtRatio(ratios.totalMs)}, probe max ${fmtRatio(ratios.probeMax)}, p99 ${fmtRatio(ratios.probeP99)}, p50 ${fmtRatio(ratios.probeP50)}, WAL ${fmtRatio(ratios.walBytes)}, longest AE wait ${fmtRatio(ratios.longestAeWait)}`,
    );
  }
  if (b && args.rows < 1_000_000) out.push('targets (issue 4): evaluated at 1M rows and above only');
  for (const t of targets)
    out.push(
      `target: ${t.target}: ${t.target.includes('1/5') ? fmtRatio(t.value) : fmtMs(t.value)} -> ${t.met ? 'MET' : 'MISSED'}`,
    );
  if (explainSummary.length) {
    out.push(
      `\nafter (b), ${args.rows.toLocaleString('en-US')} rows (median over ${args.explainRuns} runs; median of runs):`,
    );
    for (const e of explainSummary) out.push(`  ${e.name}: ${fmtMs(e.medianOfMediansMs)} (${e.outcome})`);
    for (const p of explainTrials[0]!.explain!.plans) out.push(`  plan, ${p.name}: ${planSummary(p)}`);
  }
  const outFile =
    args.out ?? path.join(RESULTS_DIR, `migrate-${args.rows}-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  out.push(`\nJSON: ${path.relative(process.cwd(), path.resolve(outFile)) || outFile}`);
  process.stdout.write(`${out.join('\n')}\n`);

  const cpus = os.cpus();
  const json = {
    meta: {
      date: started.toISOString(),
      finished: new Date().toISOString(),
      command: `pnpm bench:migrate ${process.argv.slice(2).join(' ')}`.trim(),
      args,
      machine: {
        nproc: os.availableParallelism(),
        cpu: cpus[0]?.model ?? '?',
        memGiB: round(os.totalmem() / 1024 ** 3, 1),
        platform: `${os.type()} ${os.release()} ${os.arch()}`,
        node: process.version,
      },
      server: { kind: server.kind, where: server.describe(), settings: info },
      code: codeAtStart,
      definitions: {
        total:
          '(a): connect, BEGIN, prelude, seed SQL, COMMIT, disconnect. (b): the whole migrate() call (connect, advisory lock, every pending migration, disconnect).',
        probeDuring:
          'every probe query whose [sent, answered] interval overlaps [contestant start, contestant end]; latency = send to answer, failed queries included',
        probeBaseline: 'probe queries sent and answered inside [probe start + warm-up, contestant start)',
        walBytes:
          'pg_wal_lsn_diff(pg_current_wal_lsn() after, before) around the contestant; cluster-wide, includes the probe',
        longestAeWait:
          'largest clock_timestamp() - pg_locks.waitstart over the not-granted locks on training_sessions, in pg_locks samples (every --sample-ms) in which some backend holds or requests AccessExclusiveLock on training_sessions',
      },
    },
    summary: { contestants: summary, ratiosBoverA: ratios, targets, explain: explainSummary },
    trials,
  };
  fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
  fs.writeFileSync(outFile, `${JSON.stringify(json, null, 1)}\n`);
  return trials.some((t) => !t.migration.ok) ? 1 : 0;
}

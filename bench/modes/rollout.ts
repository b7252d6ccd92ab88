/**
 * pnpm bench:migrate --mode rollout [--rows 1000000] [--runs 3] [--out bench/results/<file>.json]
 *
 * Issue 9: a whole deploy under the apps' own traffic. For every run, three contestants, each on a fresh
 * database at 0001_machines with N old-schema sessions (lib/load.ts):
 *   (r) the rollout: the old app runs; `migrate --pre-deploy`; the new app starts beside the old one
 *       (the rollout); the old app stops; `migrate` (the post-deploy step); the new app runs on;
 *   (c) the catalog-only reference (issue 4's): a constant default, the FK NOT VALID then VALIDATE, CREATE
 *       INDEX CONCURRENTLY, trainer_id DROP NOT NULL, statement by statement, with the old app running;
 *   (a) the seed's SQL in one transaction, as Drizzle's migrate() runs it (lib/contestants.ts), with the old
 *       app running (which it then breaks).
 * The apps are the test suite's (packages/testing/src/apps.ts): the old app's six statements
 * verbatim, the new app through @gym/db. Every query is recorded. Per phase: the total time and the max app
 * stall (the longest latency of any app query whose [sent, answered] overlaps the phase), and failed queries.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrate } from '@gym/migrate';
import { type AppIds, type AppQuery, NewApp, OldApp } from '@gym/testing/apps';
import pg from 'pg';
import { eachFlag, parseCount } from '../lib/args';
import { SEED_PRELUDE, SEED_SQL_FILE } from '../lib/contestants';
import { loadOldSchema } from '../lib/load';
import { RESULTS_DIR } from '../lib/paths';
import { connectClient, openServer } from '../lib/server';
import { fmtMs, fmtRatio, median, round, table } from '../lib/stats';

const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

type Contestant = 'r' | 'c' | 'a';
const LABELS: Record<Contestant, string> = {
  r: '(r) gym-db rollout',
  c: '(c) catalog-only reference',
  a: '(a) seed SQL, one transaction',
};

interface Phase {
  name: string;
  from: number;
  to: number;
  totalMs: number;
  maxStallMs: number | null;
  queries: number;
  failed: number;
  failures: string[];
}

interface RolloutArgs {
  rows: number;
  runs: number;
  contestants: Contestant[];
  windowMs: number;
  out: string | null;
}

function parse(argv: string[]): RolloutArgs {
  const a: RolloutArgs = { rows: 1_000_000, runs: 3, contestants: ['r', 'c', 'a'], windowMs: 3000, out: null };
  eachFlag(argv, (flag, value, raw) => {
    if (flag === '--rows') a.rows = parseCount(value(), flag);
    else if (flag === '--runs') a.runs = parseCount(value(), flag);
    else if (flag === '--window-ms') a.windowMs = parseCount(value(), flag);
    else if (flag === '--out') a.out = value();
    else if (flag === '--contestants') a.contestants = value().split(',') as Contestant[];
    else throw new Error(`unknown option for --mode rollout: ${raw}`);
  });
  if (!(a.rows > 0 && a.runs > 0 && a.contestants.every((c) => Object.hasOwn(LABELS, c))))
    throw new Error('--rows and --runs must be positive, --contestants a subset of r,c,a');
  return a;
}

function phase(name: string, from: number, to: number, queries: AppQuery[]): Phase {
  const hit = queries.filter((q) => q.answered >= from && q.sent <= to);
  const failed = hit.filter((q) => !q.ok);
  return {
    name,
    from,
    to,
    totalMs: to - from,
    maxStallMs: hit.length ? Math.max(...hit.map((q) => q.answered - q.sent)) : null,
    queries: hit.length,
    failed: failed.length,
    failures: [...new Set(failed.map((q) => `${q.app} ${q.kind}: ${q.error}`))].slice(0, 5),
  };
}

async function idsOf(pool: pg.Pool): Promise<AppIds> {
  const col = async (sql: string) => (await pool.query<{ id: string }>(sql)).rows.map((r) => r.id);
  return {
    trainers: await col(`SELECT id FROM trainers ORDER BY email`),
    members: await col(`SELECT id FROM members ORDER BY email LIMIT 500`),
    machines: await col(`SELECT id FROM machines ORDER BY machine_number`),
    // Loaded sessions that hold no machine slot (completed or cancelled): the new app's update moves its
    // session to another machine, which from 0007 on (post-deploy) is refused (23P01) for a scheduled session
    // when that machine is booked then, and the loaded data books more than three machines can hold. A
    // refusal the app asked for is no cost of the deploy; any other failed query still counts.
    sessions: await col(
      `SELECT id FROM training_sessions TABLESAMPLE SYSTEM (1) WHERE status NOT IN ('scheduled', 'in_progress') LIMIT 5000`,
    ),
  };
}

async function catalogOnly(url: string): Promise<void> {
  const c = await connectClient(url, 'bench-catalog-only');
  try {
    await c.query(`SET lock_timeout = '500ms'`);
    const m1 = (await c.query<{ id: string }>('SELECT id FROM machines WHERE machine_number = 1')).rows[0]!.id;
    await c.query(`ALTER TABLE training_sessions ADD COLUMN machine_id uuid NOT NULL DEFAULT '${m1}'`);
    await c.query(`ALTER TABLE training_sessions ADD CONSTRAINT training_sessions_machine_id_machines_id_fk
                     FOREIGN KEY (machine_id) REFERENCES machines(id) ON DELETE RESTRICT NOT VALID`);
    await c.query('ALTER TABLE training_sessions VALIDATE CONSTRAINT training_sessions_machine_id_machines_id_fk');
    await c.query(`SET lock_timeout = 0`);
    await c.query(
      'CREATE INDEX CONCURRENTLY idx_training_sessions_machine_id ON training_sessions (machine_id, scheduled_start)',
    );
    await c.query(`SET lock_timeout = '500ms'`);
    await c.query('ALTER TABLE training_sessions ALTER COLUMN trainer_id DROP NOT NULL');
  } finally {
    await c.end().catch(() => {});
  }
}

async function seedSql(url: string): Promise<void> {
  const c = await connectClient(url, 'bench-seed-a');
  try {
    await c.query('BEGIN');
    await c.query(SEED_PRELUDE);
    await c.query(fs.readFileSync(SEED_SQL_FILE, 'utf8'));
    await c.query('COMMIT');
  } finally {
    await c.end().catch(() => {});
  }
}

async function trial(url: string, args: RolloutArgs, who: Contestant): Promise<Phase[]> {
  await migrate({ url, to: '0001_machines' });
  const admin = await connectClient(url, 'bench-admin');
  try {
    await loadOldSchema(admin, { rows: args.rows, trainers: 50, members: 5000, chunk: 500_000, log: () => {} });
    await admin.query('CHECKPOINT');
  } finally {
    await admin.end();
  }
  const oldPool = new pg.Pool({ connectionString: url, max: 2, application_name: 'bench-old-app' });
  const newPool = new pg.Pool({ connectionString: url, max: 2, application_name: 'bench-new-app' });
  const ids = await idsOf(oldPool);
  const oldApp = new OldApp(oldPool, ids);
  // The new app gets its own list of sessions: those the old app creates (pushed to the shared list) are on
  // 2026 slots that the loaded data books too, so from 0007 on the new app's move of one onto another
  // machine is refused (23P01) as a double booking, the request refused, not a cost of the deploy.
  const newApp = new NewApp(newPool, { ...ids, sessions: [...ids.sessions] });
  const phases: Phase[] = [];
  const all = () => [...oldApp.queries, ...newApp.queries];
  try {
    oldApp.start();
    await sleep(args.windowMs);
    const t0 = Date.now();
    if (who === 'r') {
      await migrate({ url, preDeploy: true });
      const t1 = Date.now();
      newApp.start();
      await sleep(args.windowMs);
      await oldApp.stop();
      const t2 = Date.now();
      await migrate({ url });
      const t3 = Date.now();
      await sleep(args.windowMs);
      await newApp.stop();
      const queries = all();
      phases.push(phase('before (old app)', t0 - args.windowMs, t0, queries));
      phases.push(phase('pre-deploy', t0, t1, queries));
      phases.push(phase('rollout (both apps)', t1, t2, queries));
      phases.push(phase('post-deploy', t2, t3, queries));
      phases.push(phase('after (new app)', t3, Date.now(), queries));
    } else {
      let error: string | undefined;
      await (who === 'c' ? catalogOnly(url) : seedSql(url)).catch((e: Error) => (error = e.message));
      const t1 = Date.now();
      await sleep(500);
      await oldApp.stop();
      if (error) throw new Error(`${LABELS[who]} failed: ${error}`);
      const queries = all();
      phases.push(phase('before (old app)', t0 - args.windowMs, t0, queries));
      phases.push(phase('migration', t0, t1, queries));
    }
  } finally {
    await oldApp.stop();
    await newApp.stop();
    await oldPool.end();
    await newPool.end();
  }
  return phases;
}

export async function runRollout(argv: string[]): Promise<number> {
  let args: RolloutArgs;
  try {
    args = parse(argv);
  } catch (e) {
    // As the other modes: bad arguments are a one-line error and exit 2, not a stack trace and exit 1.
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  const server = await openServer(process.env.DATABASE_URL, log);
  const started = new Date();
  const trials: { run: number; contestant: Contestant; phases: Phase[] }[] = [];
  try {
    let n = 900;
    for (let run = 1; run <= args.runs; run++) {
      const order = run % 2 === 1 ? args.contestants : [...args.contestants].reverse();
      for (const who of order) {
        const url = await server.freshDatabase(++n);
        try {
          log(`run ${run}, ${LABELS[who]}, ${args.rows.toLocaleString('en-US')} sessions`);
          const phases = await trial(url, args, who);
          for (const p of phases)
            log(
              `  ${p.name}: ${fmtMs(p.totalMs)}, max stall ${fmtMs(p.maxStallMs)} (${p.queries} queries, ${p.failed} failed)${p.failures.length ? ` ${p.failures.join('; ')}` : ''}`,
            );
          trials.push({ run, contestant: who, phases });
        } finally {
          await server.dropDatabase(n).catch(() => {});
        }
      }
    }
  } finally {
    await server.stop();
  }

  const med = (who: Contestant, name: string, f: (p: Phase) => number | null) =>
    median(trials.filter((t) => t.contestant === who).map((t) => f(t.phases.find((p) => p.name === name)!)));
  const rows: string[][] = [];
  const line = (who: Contestant, name: string) => [
    LABELS[who],
    name,
    fmtMs(med(who, name, (p) => p.totalMs)),
    fmtMs(med(who, name, (p) => p.maxStallMs)),
    String(med(who, name, (p) => p.failed)),
  ];
  for (const name of ['pre-deploy', 'rollout (both apps)', 'post-deploy'])
    if (args.contestants.includes('r')) rows.push(line('r', name));
  if (args.contestants.includes('c')) rows.push(line('c', 'migration'));
  if (args.contestants.includes('a')) rows.push(line('a', 'migration'));
  const out = [
    `pnpm bench:migrate --mode rollout, ${args.rows.toLocaleString('en-US')} sessions, median of ${args.runs} run(s)`,
    table(['contestant', 'phase', 'total', 'max app stall', 'failed queries'], rows),
  ];
  const ratio = (a: number | null, b: number | null) => (a !== null && b ? a / b : null);
  if (args.contestants.includes('r') && args.contestants.includes('c')) {
    const total = ratio(
      med('r', 'pre-deploy', (p) => p.totalMs),
      med('c', 'migration', (p) => p.totalMs),
    );
    const stall = ratio(
      med('r', 'pre-deploy', (p) => p.maxStallMs),
      med('c', 'migration', (p) => p.maxStallMs),
    );
    out.push(
      `pre-deploy / catalog-only reference: total ${fmtRatio(total)}, max stall ${fmtRatio(stall)} (target: both within 2x -> ${total !== null && stall !== null && total <= 2 && stall <= 2 ? 'MET' : 'MISSED'})`,
    );
  }
  const outFile =
    args.out ?? path.join(RESULTS_DIR, `rollout-${args.rows}-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  out.push(`JSON: ${path.relative(process.cwd(), outFile)}`);
  process.stdout.write(`${out.join('\n')}\n`);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(
    outFile,
    `${JSON.stringify(
      {
        meta: {
          date: started.toISOString(),
          args,
          machine: { nproc: os.availableParallelism(), memGiB: round(os.totalmem() / 1024 ** 3, 1) },
          server: server.describe(),
        },
        trials,
      },
      null,
      1,
    )}\n`,
  );
  return trials.some((t) => t.contestant === 'r' && t.phases.some((p) => p.failed > 0)) ? 1 : 0;
}

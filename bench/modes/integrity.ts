/**
 * pnpm bench:migrate --mode integrity [--rows 1000000] [--runs 1] [--contestants ref,gym,exclude]
 *
 * Issue 8, item 4: the no-double-booking rule on a loaded table, with an app probe running, side by side:
 *   (ref)     the catalog-only reference: 0007's lock-friendly statements alone (two CHECKs NOT VALID then
 *             VALIDATE, the partial GiST index CONCURRENTLY, the trigger), no data steps;
 *   (gym)     gym-db's migrator, 0007_training_sessions_integrity and 0008_training_sessions_calendar;
 *   (exclude) the declarative standard: CREATE EXTENSION btree_gist, then ALTER TABLE ... ADD CONSTRAINT
 *             ... EXCLUDE USING gist (machine_id WITH =, tstzrange(...) WITH &&) WHERE (active), one statement.
 * Each on a fresh database at 0006 with N sessions (one hour apart per machine, three machines, none
 * overlapping, 10% of them booked), VACUUM ANALYZE, CHECKPOINT. The probe: reads (the calendar query) and
 * inserts and updates of training_sessions at 10/s each, on three connections; max app stall is the longest
 * latency of a probe query that overlaps the contestant. Then booking latency: 200 bookings through
 * create_training_session_with_members on free slots, before the contestant and after it.
 */

import { migrate } from '@gym/migrate';
import type pg from 'pg';
import { eachFlag, parseCount } from '../lib/args';
import { connectClient, openServer } from '../lib/server';
import { fmtMs, fmtRatio, median, round, table } from '../lib/stats';

type Contestant = 'ref' | 'gym' | 'exclude';
const LABELS: Record<Contestant, string> = {
  ref: 'catalog-only reference',
  gym: 'gym-db 0007 + 0008 (trigger)',
  exclude: 'EXCLUDE constraint',
};
const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const INTEGRITY_USAGE = `pnpm bench:migrate --mode integrity [options]

The no-double-booking rule (0007) on a loaded table, with an app probe running, side by side: the
catalog-only reference, gym-db's migrator (0007 + 0008) and an EXCLUDE constraint.

  --rows N            sessions to load (default 1000000; 20k, 1M accepted)
  --runs N            runs per contestant (default 1); the summary is the median
  --contestants a,b   which contestants, a subset of ref,gym,exclude (default all three)
`;

interface IntegrityArgs {
  rows: number;
  runs: number;
  kinds: Contestant[];
  help: boolean;
}

function parse(argv: string[]): IntegrityArgs {
  const a: IntegrityArgs = { rows: 1_000_000, runs: 1, kinds: ['ref', 'gym', 'exclude'], help: false };
  eachFlag(argv, (flag, value, raw) => {
    if (flag === '--rows') a.rows = parseCount(value(), flag);
    else if (flag === '--runs') a.runs = parseCount(value(), flag);
    else if (flag === '--contestants') {
      const kinds = value()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = kinds.filter((k) => !Object.hasOwn(LABELS, k));
      if (unknown.length || !kinds.length)
        throw new Error(
          `--contestants: unknown contestant ${unknown.join(', ') || '(none given)'} (ref, gym, exclude)`,
        );
      a.kinds = [...new Set(kinds)] as Contestant[];
    } else if (flag === '-h' || flag === '--help') a.help = true;
    else throw new Error(`unknown option for --mode integrity: ${raw}`);
  });
  if (a.rows < 1) throw new Error('--rows must be at least 1');
  if (a.runs < 1 || a.runs > 20) throw new Error('--runs must be between 1 and 20');
  return a;
}

async function load(url: string, rows: number): Promise<void> {
  await migrate({ url, to: '0006_row_level_security', connectRetryForMs: 0 });
  const c = await connectClient(url, 'bench-load');
  try {
    await c.query(`INSERT INTO members (first_name, last_name, email)
                   SELECT 'M', g::text, 'm' || g || '@bench.test' FROM generate_series(1, 1000) g`);
    // Three machines, one 45-minute session an hour each, from 2024-01-01: past ones completed (a few
    // cancelled), the rest scheduled.
    await c.query(
      `INSERT INTO training_sessions (machine_id, scheduled_start, scheduled_end, status)
       SELECT m.id, t, t + interval '45 minutes',
              CASE WHEN t >= '2026-06-01' THEN 'scheduled' WHEN g % 10 = 0 THEN 'cancelled' ELSE 'completed' END
         FROM generate_series(0, $1::int - 1) g
         JOIN machines m ON m.machine_number = 1 + g % 3
         CROSS JOIN LATERAL (SELECT '2024-01-01T00:00Z'::timestamptz + (g / 3) * interval '1 hour' AS t) s`,
      [rows],
    );
    await c.query(`ALTER TABLE training_session_members DISABLE TRIGGER USER`);
    await c.query(`INSERT INTO training_session_members (session_id, member_id)
                   SELECT ts.id, (SELECT id FROM members ORDER BY email LIMIT 1)
                     FROM training_sessions ts TABLESAMPLE BERNOULLI (10)`);
    await c.query(`ALTER TABLE training_session_members ENABLE TRIGGER USER`);
    await c.query(`UPDATE training_sessions ts SET current_participants = 1
                    WHERE EXISTS (SELECT 1 FROM training_session_members b WHERE b.session_id = ts.id)`);
    await c.query('VACUUM ANALYZE');
    await c.query('CHECKPOINT');
  } finally {
    await c.end();
  }
}

interface Sample {
  t: number;
  ms: number;
  ok: boolean;
}

/** Three connections, each sending one kind of query at 10/s; a query never overlaps its predecessor. */
async function startProbe(url: string) {
  const machines = (
    await (async () => {
      const c = await connectClient(url, 'bench-probe-setup');
      try {
        return (await c.query<{ id: string }>('SELECT id FROM machines ORDER BY machine_number')).rows.map((r) => r.id);
      } finally {
        await c.end();
      }
    })()
  ).slice();
  const samples: Sample[] = [];
  let stopped = false;
  let n = 0;
  const ops: ((c: pg.Client) => Promise<unknown>)[] = [
    (c) =>
      c.query(
        `SELECT id, scheduled_start FROM training_sessions WHERE machine_id = $1 AND scheduled_start >= '2026-03-02' AND scheduled_start < '2026-03-09' ORDER BY scheduled_start`,
        [machines[n % 3]],
      ),
    // Completed sessions far in the past: never a conflict, so the probe measures waiting, not refusals.
    (c) =>
      c.query(
        `INSERT INTO training_sessions (machine_id, scheduled_start, scheduled_end, status) VALUES ($1, '2020-01-01'::timestamptz + $2 * interval '1 minute', '2020-01-01'::timestamptz + ($2 + 1) * interval '1 minute', 'completed')`,
        [machines[n % 3], ++n],
      ),
    (c) =>
      c.query(
        `UPDATE training_sessions SET notes = 'probe ' || $1 WHERE id = (SELECT id FROM training_sessions WHERE scheduled_start = '2024-01-01T00:00Z' LIMIT 1)`,
        [n],
      ),
  ];
  const clients = await Promise.all(ops.map((_, i) => connectClient(url, `bench-probe-${i}`)));
  const loops = ops.map(async (op, i) => {
    const c = clients[i]!;
    const start = performance.now();
    for (let k = 0; !stopped; k++) {
      const due = start + k * 100;
      const now = performance.now();
      if (due > now) await sleep(due - now);
      else k = Math.floor((now - start) / 100);
      const t = performance.now();
      let ok = true;
      await op(c).catch(() => {
        ok = false;
      });
      samples.push({ t, ms: performance.now() - t, ok });
    }
  });
  return {
    samples,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      await Promise.all(clients.map((c) => c.end().catch(() => {})));
    },
  };
}

async function bookingLatency(url: string, day: string, count = 200): Promise<{ p50: number; p99: number }> {
  const c = await connectClient(url, 'bench-booking');
  try {
    const { rows } = await c.query<{ machine: string; member: string }>(
      `SELECT (SELECT id FROM machines WHERE machine_number = 2) AS machine, (SELECT id FROM members LIMIT 1) AS member`,
    );
    const ms: number[] = [];
    for (let i = 0; i < count; i++) {
      // Free slots: 20 minutes at the quarter past, between the loaded sessions (which end at :45), a future day.
      const start = new Date(Date.parse(`${day}T00:50:00Z`) + i * 3_600_000).toISOString();
      const end = new Date(Date.parse(start) + 5 * 60_000).toISOString();
      const t = performance.now();
      await c.query('SELECT create_training_session_with_members($1, $2, $3, $4)', [
        rows[0]!.machine,
        rows[0]!.member,
        start,
        end,
      ]);
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    return { p50: ms[Math.floor(ms.length / 2)]!, p99: ms[Math.floor(ms.length * 0.99)]! };
  } finally {
    await c.end();
  }
}

async function runSql(url: string, statements: string[]): Promise<void> {
  const c = await connectClient(url, 'bench-contestant');
  try {
    for (const s of statements) await c.query(s);
  } finally {
    await c.end();
  }
}

const RANGE = `tstzrange(scheduled_start, scheduled_end, '[)')`;
const ACTIVE = `status IN ('scheduled', 'in_progress')`;

async function contestant(kind: Contestant, url: string): Promise<void> {
  if (kind === 'gym') {
    await migrate({ url, connectRetryForMs: 0 });
    return;
  }
  if (kind === 'exclude') {
    await runSql(url, [
      `SET lock_timeout = '500ms'`,
      'CREATE EXTENSION IF NOT EXISTS btree_gist',
      `SET lock_timeout = 0`,
      `ALTER TABLE training_sessions ADD CONSTRAINT training_sessions_no_overlap
         EXCLUDE USING gist (machine_id WITH =, ${RANGE} WITH &&) WHERE (${ACTIVE})`,
    ]);
    return;
  }
  await runSql(url, [
    `SET lock_timeout = '500ms'`,
    'ALTER TABLE training_sessions ADD CONSTRAINT ref_end_check CHECK (scheduled_end > scheduled_start) NOT VALID',
    `ALTER TABLE training_sessions ADD CONSTRAINT ref_status_check CHECK (status IN ('scheduled', 'in_progress', 'completed', 'cancelled')) NOT VALID`,
    'ALTER TABLE training_sessions VALIDATE CONSTRAINT ref_end_check',
    'ALTER TABLE training_sessions VALIDATE CONSTRAINT ref_status_check',
    `SET lock_timeout = 0`,
    `CREATE INDEX CONCURRENTLY ref_active_slot_idx ON training_sessions USING gist (${RANGE}) WHERE ${ACTIVE}`,
    `SET lock_timeout = '500ms'`,
    `CREATE FUNCTION ref_noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`,
    'CREATE TRIGGER ref_noop BEFORE INSERT OR UPDATE ON training_sessions FOR EACH ROW EXECUTE FUNCTION ref_noop()',
  ]);
}

/** Whether PostgreSQL takes an existing index for an EXCLUDE constraint (it does for UNIQUE and PRIMARY KEY). */
async function excludeUsingIndex(url: string): Promise<string> {
  const c = await connectClient(url, 'bench-using-index');
  try {
    await c.query('CREATE EXTENSION IF NOT EXISTS btree_gist');
    await c.query(`CREATE TABLE probe_excl (machine int, slot tstzrange)`);
    await c.query(`CREATE INDEX probe_excl_idx ON probe_excl USING gist (machine, slot)`);
    await c.query(`ALTER TABLE probe_excl ADD CONSTRAINT probe_excl_no_overlap EXCLUDE USING INDEX probe_excl_idx`);
    return 'accepted';
  } catch (err) {
    return `refused: ${(err as Error).message}`;
  } finally {
    await c.query('DROP TABLE IF EXISTS probe_excl').catch(() => {});
    await c.end();
  }
}

interface Result {
  kind: Contestant;
  rows: number;
  totalMs: number;
  maxStallMs: number;
  failed: number;
  baselineMaxMs: number;
  bookingBefore: { p50: number; p99: number };
  bookingAfter: { p50: number; p99: number };
}

export async function runIntegrity(argv: string[]): Promise<number> {
  let args: IntegrityArgs;
  try {
    args = parse(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${INTEGRITY_USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(INTEGRITY_USAGE);
    return 0;
  }
  const { rows, runs, kinds } = args;
  const server = await openServer(process.env.DATABASE_URL, log);
  const results: Result[] = [];
  try {
    log(`EXCLUDE USING INDEX: ${await excludeUsingIndex(await server.freshDatabase(900))}`);
    await server.dropDatabase(900);
    for (let run = 1; run <= runs; run++) {
      for (const [i, kind] of kinds.entries()) {
        const url = await server.freshDatabase(910 + i);
        log(`run ${run} ${LABELS[kind]}: loading ${rows} sessions`);
        await load(url, rows);
        const bookingBefore = await bookingLatency(url, '2027-01-05');
        const probe = await startProbe(url);
        await sleep(3000);
        const t0 = performance.now();
        await contestant(kind, url);
        const t1 = performance.now();
        await sleep(1000);
        await probe.stop();
        const during = probe.samples.filter((s) => s.t < t1 && s.t + s.ms > t0);
        const baseline = probe.samples.filter((s) => s.t + s.ms < t0);
        const bookingAfter = await bookingLatency(url, '2027-02-05');
        const r: Result = {
          kind,
          rows,
          totalMs: t1 - t0,
          maxStallMs: Math.max(0, ...during.map((s) => s.ms)),
          failed: during.filter((s) => !s.ok).length,
          baselineMaxMs: Math.max(0, ...baseline.map((s) => s.ms)),
          bookingBefore,
          bookingAfter,
        };
        log(`  ${JSON.stringify({ ...r, totalMs: round(r.totalMs), maxStallMs: round(r.maxStallMs) })}`);
        results.push(r);
        await server.dropDatabase(910 + i);
      }
    }
  } finally {
    await server.stop();
  }
  const med = (kind: Contestant, f: (r: Result) => number) => median(results.filter((r) => r.kind === kind).map(f));
  const ref = (f: (r: Result) => number) => (kinds.includes('ref') ? med('ref', f) : null);
  const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b);
  process.stdout.write(
    `${table(
      [
        'contestant',
        'total',
        'max app stall (baseline)',
        'failed',
        'booking p50 before / after',
        'booking p99 after',
        'total / ref',
        'stall / ref',
      ],
      kinds.map((k) => [
        `${LABELS[k]}, ${rows.toLocaleString('en')} rows`,
        fmtMs(med(k, (r) => r.totalMs)),
        `${fmtMs(med(k, (r) => r.maxStallMs))} (${fmtMs(med(k, (r) => r.baselineMaxMs))})`,
        String(med(k, (r) => r.failed)),
        `${fmtMs(med(k, (r) => r.bookingBefore.p50))} / ${fmtMs(med(k, (r) => r.bookingAfter.p50))}`,
        fmtMs(med(k, (r) => r.bookingAfter.p99)),
        fmtRatio(
          ratio(
            med(k, (r) => r.totalMs),
            ref((r) => r.totalMs),
          ),
        ),
        fmtRatio(
          ratio(
            med(k, (r) => r.maxStallMs),
            ref((r) => r.maxStallMs),
          ),
        ),
      ]),
    )}\n`,
  );
  return 0;
}

import type pg from 'pg';
import { connectClient } from './server';
import { percentile } from './stats';

export interface PlanCheck {
  name: string;
  sql: string;
  params: string[];
  plan: string;
  /** Indexes named by an Index Scan / Index Only Scan / Bitmap Index Scan node. */
  indexes: string[];
  seqScan: boolean;
  /** "Execution Time" reported by EXPLAIN ANALYZE, ms. */
  executionMs: number | null;
  /** For the DELETE: the RESTRICT trigger's time as EXPLAIN ANALYZE reports it. */
  triggerMs?: number | null;
  rows?: number;
}

export interface LatencyCheck {
  name: string;
  sql: string;
  runs: number;
  /** Client round trip per run (send to answer), ms. */
  medianMs: number | null;
  p95Ms: number | null;
  minMs: number | null;
  /** How the runs ended (ok, or the SQLSTATE of the expected error). */
  outcome: string;
}

export interface ExplainReport {
  machineCounts: { machine_number: number; sessions: number }[];
  machineCountsAfterReassign: { machine_number: number; sessions: number }[] | null;
  reassign: { done: boolean; rows: number; ms: number; vacuumMs: number; how: string };
  calendarWeek: { machine: number; from: string; to: string };
  plans: PlanCheck[];
  latencies: LatencyCheck[];
}

function indexesOf(plan: string): string[] {
  const out = new Set<string>();
  for (const m of plan.matchAll(/(?:Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\S+)/g))
    out.add(m[1]!);
  return [...out];
}

function execMs(plan: string): number | null {
  const m = /Execution Time: ([\d.]+) ms/.exec(plan);
  return m ? Number(m[1]) : null;
}

async function explain(
  c: pg.Client,
  name: string,
  sql: string,
  params: string[],
  prefix = 'EXPLAIN (ANALYZE, BUFFERS)',
): Promise<PlanCheck> {
  const { rows } = await c.query<{ 'QUERY PLAN': string }>(`${prefix} ${sql}`, params);
  const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
  const trig = /Trigger for constraint \S+: time=([\d.]+) calls=\d+/.exec(plan);
  const rowsM = /actual time=[\d.]+\.\.[\d.]+ rows=(\d+)/.exec(plan);
  return {
    name,
    sql,
    params,
    plan,
    indexes: indexesOf(plan),
    seqScan: /Seq Scan/.test(plan),
    executionMs: execMs(plan),
    ...(trig ? { triggerMs: Number(trig[1]) } : {}),
    ...(rowsM ? { rows: Number(rowsM[1]) } : {}),
  };
}

/**
 * The plan the RESTRICT trigger's own query really ran with during `DELETE FROM machines WHERE id = $1`, from
 * auto_explain (nested statements, ANALYZE, BUFFERS) sent to this client as NOTICEs. The DELETE runs in a
 * savepoint of a transaction that is rolled back; a refused DELETE (23503) is fine too, as the RI query has
 * finished (and been logged) before the trigger raises. Null when auto_explain cannot be loaded.
 */
async function restrictTriggerPlan(c: pg.Client, name: string, machineId: string): Promise<PlanCheck | null> {
  const notices: string[] = [];
  const onNotice = (n: { message?: string }) => {
    if (n.message) notices.push(n.message);
  };
  await c.query('BEGIN');
  c.on('notice', onNotice);
  let outcome = '';
  try {
    try {
      await c.query(`LOAD 'auto_explain'`);
    } catch {
      return null;
    }
    for (const set of [
      'auto_explain.log_min_duration = 0',
      'auto_explain.log_analyze = on',
      'auto_explain.log_buffers = on',
      'auto_explain.log_timing = on',
      'auto_explain.log_nested_statements = on',
      'auto_explain.log_level = notice',
    ]) {
      await c.query(`SET LOCAL ${set}`);
    }
    await c.query('SAVEPOINT d');
    try {
      const r = await c.query(DELETE_SQL, [machineId]);
      outcome = `deleted ${r.rowCount} (rolled back)`;
    } catch (e) {
      outcome = `refused, error ${(e as { code?: string }).code}`;
    }
    await c.query('ROLLBACK TO SAVEPOINT d');
  } finally {
    c.off('notice', onNotice);
    await c.query('ROLLBACK');
  }
  const ri = notices.find((m) => /FROM ONLY "public"\."training_sessions"/.test(m));
  if (!ri) return null;
  const plan = ri.replace(/^duration: [\d.]+ ms\s+plan:\n?/, '');
  const dur = /^duration: ([\d.]+) ms/.exec(ri);
  return {
    name: `${name} (${outcome})`,
    sql: DELETE_SQL,
    params: [machineId],
    plan,
    indexes: indexesOf(plan),
    seqScan: /Seq Scan/.test(plan),
    executionMs: dur ? Number(dur[1]) : null,
  };
}

/** Times `run` `runs` times after 5 warm-up runs; `run` returns how that run ended. */
async function timeRuns(name: string, sql: string, runs: number, run: () => Promise<string>): Promise<LatencyCheck> {
  const times: number[] = [];
  const outcomes = new Set<string>();
  for (let i = 0; i < 5; i++) await run();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const outcome = await run();
    times.push(performance.now() - t0);
    outcomes.add(outcome);
  }
  return {
    name,
    sql,
    runs,
    medianMs: percentile(times, 50),
    p95Ms: percentile(times, 95),
    minMs: times.length ? Math.min(...times) : null,
    outcome: [...outcomes].join(', '),
  };
}

/** Times a DELETE of a machine that has sessions (refused by RESTRICT), each try in a savepoint of one rolled-back transaction. */
async function timeRefusedDelete(c: pg.Client, name: string, machineId: string, runs: number): Promise<LatencyCheck> {
  await c.query('BEGIN');
  try {
    return await timeRuns(name, DELETE_SQL, runs, async () => {
      await c.query('SAVEPOINT s');
      try {
        await c.query(DELETE_SQL, [machineId]);
        return 'not refused!';
      } catch (e) {
        return `error ${(e as { code?: string }).code}`;
      } finally {
        await c.query('ROLLBACK TO SAVEPOINT s');
      }
    });
  } finally {
    await c.query('ROLLBACK');
  }
}

async function machineCounts(c: pg.Client) {
  const { rows } = await c.query<{ machine_number: number; sessions: string }>(
    `SELECT m.machine_number, count(t.id) AS sessions
       FROM machines m LEFT JOIN training_sessions t ON t.machine_id = m.id
      GROUP BY m.machine_number ORDER BY m.machine_number`,
  );
  return rows.map((r) => ({ machine_number: r.machine_number, sessions: Number(r.sessions) }));
}

/** The scratch machine of the RESTRICT check: its number and id, and how to take it away again. */
interface EmptyMachine {
  number: number;
  id: string;
  remove(): Promise<void>;
}

/**
 * Adds a machine that no session references, for the RESTRICT check. Since 0007 (legacy overlapping sessions
 * moved onto Machines 2 and 3) and 0011, the migration leaves sessions on every machine, and the check must
 * measure the delete RESTRICT lets through: the RI trigger's query for a machine_id with no rows. machines
 * allows numbers 1-3 only (CHECK), so that CHECK is dropped while the fourth machine exists and put back,
 * validated, once it is gone, with its definition read from the catalog. Committed: the checks below run in
 * transactions of their own; the database is the bench's own and the probe has stopped.
 */
async function addEmptyMachine(c: pg.Client): Promise<EmptyMachine> {
  const check = (
    await c.query<{ def: string }>(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE conrelid = 'machines'::regclass AND conname = 'machines_machine_number_check'`,
    )
  ).rows[0]?.def;
  const number = 1 + (await c.query<{ n: number }>('SELECT max(machine_number) AS n FROM machines')).rows[0]!.n;
  if (check) await c.query('ALTER TABLE machines DROP CONSTRAINT machines_machine_number_check');
  const { rows } = await c.query<{ id: string }>(
    `INSERT INTO machines (machine_number, name) VALUES ($1, 'Bench: no sessions (RESTRICT check)') RETURNING id`,
    [number],
  );
  const id = rows[0]!.id;
  return {
    number,
    id,
    async remove() {
      await c.query('DELETE FROM machines WHERE id = $1', [id]);
      // The definition comes from the catalog (pg_get_constraintdef), never from input.
      if (check) await c.query(`ALTER TABLE machines ADD CONSTRAINT machines_machine_number_check ${check}`);
    },
  };
}

const RI_SQL = 'SELECT 1 FROM ONLY training_sessions x WHERE machine_id = $1 FOR KEY SHARE OF x';
const BRIEF_RESTRICT_SQL = 'SELECT 1 FROM training_sessions WHERE machine_id = $1 LIMIT 1 FOR KEY SHARE';
const DELETE_SQL = 'DELETE FROM machines WHERE id = $1';
const CALENDAR_SQL =
  'SELECT * FROM training_sessions WHERE machine_id = $1 AND scheduled_start >= $2 AND scheduled_start < $3 ORDER BY scheduled_start';

/**
 * After (b) at N rows, with the probe stopped:
 *  1. ANALYZE training_sessions (the migration itself does not; autovacuum would, later).
 *  2. The RESTRICT check, in the state the migration leaves (most old sessions on Machine 1, 0007's moved
 *     legacy overlaps on Machines 2 and 3), for a fourth machine added for the check that no session
 *     references (addEmptyMachine; removed again afterwards): EXPLAIN ANALYZE of DELETE FROM machines for it in
 *     a transaction that is rolled back, and of the query the RI trigger runs (SELECT 1 FROM ONLY
 *     training_sessions x WHERE machine_id = $1 FOR KEY SHARE OF x), with a custom plan and with the generic
 *     plan the trigger's cached plan may switch to. Latency: its DELETE inside a savepoint that is rolled
 *     back, 200 times; the brief's LIMIT 1 FOR KEY SHARE query, 200 times; the refused DELETE of the machine
 *     with the most sessions (23503), 200 times.
 *  3. Optionally reassigns the sessions across the 3 machines (machine_number = 1 + last byte of the id mod 3),
 *     in committed batches of heap pages, keeping updated_at; then VACUUM ANALYZE training_sessions. Only the
 *     sessions that hold no slot (completed, cancelled): since 0007 moving a scheduled one onto a machine
 *     booked then is refused (23P01), and the loaded data books more than three machines can hold. The
 *     calendar week below is in the past, so all of its sessions are reassigned as before.
 *  4. The calendar query for one machine and one week, EXPLAIN (ANALYZE, BUFFERS), then 200 runs; and the RI
 *     query for a machine that now has sessions.
 */
export async function explainSuite(
  url: string,
  opts: { runs: number; reassign: boolean; log: (s: string) => void },
): Promise<ExplainReport> {
  const c = await connectClient(url, 'bench-explain');
  try {
    // The refused DELETEs below would write 3 log lines each to the server log; keep it readable.
    await c.query(`SET log_min_messages = 'fatal'`).catch(() => {});
    const machines = (
      await c.query<{ id: string; machine_number: number }>(
        `SELECT id, machine_number FROM machines ORDER BY machine_number`,
      )
    ).rows;
    const mid = (n: number) => machines.find((m) => m.machine_number === n)!.id;
    await c.query('ANALYZE training_sessions');
    const counts = await machineCounts(c);
    const empty = await addEmptyMachine(c);
    machines.push({ id: empty.id, machine_number: empty.number });
    const emptyMachine = empty.number;
    const fullMachine = [...counts].sort((a, b) => b.sessions - a.sessions)[0]!.machine_number;
    const plans: PlanCheck[] = [];
    const latencies: LatencyCheck[] = [];

    // 2. RESTRICT, on the scratch machine (no sessions), then the refused delete of the fullest machine
    try {
      await c.query('BEGIN');
      try {
        plans.push(
          await explain(c, `restrict: DELETE machine ${emptyMachine} (no sessions), rolled back`, DELETE_SQL, [
            mid(emptyMachine),
          ]),
        );
        plans.push(
          await explain(c, `restrict: RI query, machine ${emptyMachine} (no sessions), custom plan`, RI_SQL, [
            mid(emptyMachine),
          ]),
        );
        await c.query('SET LOCAL plan_cache_mode = force_generic_plan');
        await c.query(`PREPARE bench_ri(uuid) AS ${RI_SQL}`);
        plans.push(
          await explain(
            c,
            `restrict: RI query, machine ${emptyMachine} (no sessions), generic plan`,
            `EXECUTE bench_ri('${mid(emptyMachine)}')`,
            [],
          ),
        );
        // Plain EXPLAIN for a machine that has sessions: ANALYZE would lock every one of its rows (the trigger
        // itself stops at the first row).
        plans.push(
          await explain(
            c,
            `restrict: RI query, machine ${fullMachine} (${counts.find((m) => m.machine_number === fullMachine)!.sessions} sessions), generic plan, EXPLAIN only`,
            `EXECUTE bench_ri('${mid(fullMachine)}')`,
            [],
            'EXPLAIN',
          ),
        );
        plans.push(
          await explain(
            c,
            `restrict: RI query, machine ${fullMachine}, custom plan, EXPLAIN only`,
            RI_SQL,
            [mid(fullMachine)],
            'EXPLAIN',
          ),
        );
        plans.push(
          await explain(
            c,
            `restrict: ${BRIEF_RESTRICT_SQL.replace('$1', `machine ${emptyMachine}`)} (no sessions)`,
            BRIEF_RESTRICT_SQL,
            [mid(emptyMachine)],
          ),
        );
      } finally {
        await c.query('ROLLBACK');
        await c.query('DEALLOCATE ALL').catch(() => {});
      }
      for (const [label, m] of [
        [
          `restrict: the RI trigger's own plan in DELETE machine ${emptyMachine} (no sessions), auto_explain`,
          emptyMachine,
        ],
        [
          `restrict: the RI trigger's own plan in DELETE machine ${fullMachine} (has sessions), auto_explain`,
          fullMachine,
        ],
      ] as const) {
        const p = await restrictTriggerPlan(c, label, mid(m));
        if (p) plans.push(p);
      }
      await c.query('BEGIN');
      try {
        latencies.push(
          await timeRuns(
            `restrict: DELETE machine ${emptyMachine} (no sessions), in a savepoint rolled back`,
            DELETE_SQL,
            opts.runs,
            async () => {
              await c.query('SAVEPOINT s');
              const r = await c.query(DELETE_SQL, [mid(emptyMachine)]);
              await c.query('ROLLBACK TO SAVEPOINT s');
              return r.rowCount === 1 ? 'deleted 1 row (rolled back)' : `deleted ${r.rowCount}`;
            },
          ),
        );
      } finally {
        await c.query('ROLLBACK');
      }
      latencies.push(
        await timeRuns(
          `restrict: ${BRIEF_RESTRICT_SQL.replace('$1', `machine ${emptyMachine}`)}`,
          BRIEF_RESTRICT_SQL,
          opts.runs,
          async () => {
            const r = await c.query(BRIEF_RESTRICT_SQL, [mid(emptyMachine)]);
            return `${r.rowCount} row(s)`;
          },
        ),
      );
      latencies.push(
        await timeRefusedDelete(
          c,
          `restrict: DELETE machine ${fullMachine} (has sessions), refused`,
          mid(fullMachine),
          opts.runs,
        ),
      );
    } finally {
      await empty.remove();
    }

    // 3. reassign
    const reassign = {
      done: false,
      rows: 0,
      ms: 0,
      vacuumMs: 0,
      how: 'not done: every old session stays on Machine 1',
    };
    let countsAfter: ExplainReport['machineCountsAfterReassign'] = null;
    if (opts.reassign) {
      const t0 = performance.now();
      await c.query(`SET gym.preserve_updated_at = 'on'`);
      await c.query(`SET synchronous_commit = off`);
      const { rows: pr } = await c.query<{ pages: string }>(
        `SELECT pg_relation_size('training_sessions') / current_setting('block_size')::bigint AS pages`,
      );
      const pages = Number(pr[0]!.pages);
      const step = 2048;
      for (let from = 0, i = 0; from < pages && i < 1_000_000; from += step, i++) {
        const r = await c.query(
          `UPDATE training_sessions t SET machine_id = m.id
             FROM machines m
            WHERE t.ctid >= format('(%s,0)', $1::bigint)::tid AND t.ctid < format('(%s,0)', $2::bigint)::tid
              AND m.machine_number = 1 + get_byte(uuid_send(t.id), 15) % 3
              AND t.machine_id IS DISTINCT FROM m.id
              AND t.status NOT IN ('scheduled', 'in_progress')`,
          [from, from + step],
        );
        reassign.rows += r.rowCount ?? 0;
        if ((i + 1) % 25 === 0)
          opts.log(
            `    reassign: pages ${Math.min(from + step, pages)}/${pages}, ${reassign.rows.toLocaleString('en-US')} rows moved`,
          );
      }
      await c.query(`RESET gym.preserve_updated_at`);
      await c.query(`RESET synchronous_commit`);
      reassign.ms = performance.now() - t0;
      const v0 = performance.now();
      await c.query('VACUUM ANALYZE training_sessions');
      reassign.vacuumMs = performance.now() - v0;
      reassign.done = true;
      reassign.how =
        'UPDATE ... SET machine_id = machine (1 + last byte of the session id mod 3) for the sessions that hold no slot (not scheduled or in progress), in committed batches of 2048 heap pages, updated_at kept; then VACUUM ANALYZE training_sessions';
      countsAfter = await machineCounts(c);
    }

    // 4. calendar
    const calMachine = opts.reassign ? 2 : 1;
    const week = { machine: calMachine, from: '2025-03-03T00:00:00Z', to: '2025-03-10T00:00:00Z' };
    const calParams = [mid(calMachine), week.from, week.to];
    plans.push(
      await explain(c, `calendar: machine ${calMachine}, week of ${week.from.slice(0, 10)}`, CALENDAR_SQL, calParams),
    );
    let calRows = 0;
    latencies.push(
      await timeRuns(
        `calendar: machine ${calMachine}, one week, ORDER BY scheduled_start`,
        CALENDAR_SQL,
        opts.runs,
        async () => {
          const r = await c.query(CALENDAR_SQL, calParams);
          calRows = r.rowCount ?? 0;
          return 'ok';
        },
      ),
    );
    latencies[latencies.length - 1]!.outcome = `ok, ${calRows} rows`;
    if (opts.reassign) {
      await c.query('BEGIN');
      try {
        plans.push(
          await explain(
            c,
            `restrict: RI query, machine ${calMachine} (has sessions after reassign), custom plan, EXPLAIN only`,
            RI_SQL,
            [mid(calMachine)],
            'EXPLAIN',
          ),
        );
        plans.push(
          await explain(
            c,
            `restrict: ${BRIEF_RESTRICT_SQL.replace('$1', `machine ${calMachine}`)} (has sessions after reassign)`,
            BRIEF_RESTRICT_SQL,
            [mid(calMachine)],
          ),
        );
      } finally {
        await c.query('ROLLBACK');
      }
      const p = await restrictTriggerPlan(
        c,
        `restrict: the RI trigger's own plan in DELETE machine ${calMachine} (has sessions after reassign), auto_explain`,
        mid(calMachine),
      );
      if (p) plans.push(p);
      latencies.push(
        await timeRefusedDelete(
          c,
          `restrict: DELETE machine ${calMachine} (has sessions after reassign), refused`,
          mid(calMachine),
          opts.runs,
        ),
      );
    }
    return {
      machineCounts: counts,
      machineCountsAfterReassign: countsAfter,
      reassign,
      calendarWeek: week,
      plans,
      latencies,
    };
  } finally {
    await c.end().catch(() => {});
  }
}

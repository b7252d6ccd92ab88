import type pg from 'pg';
import { connectClient } from './server';

/**
 * Samples pg_locks and pg_stat_activity every ~20 ms on a connection of its own, while a contestant runs.
 *
 * "Longest ACCESS EXCLUSIVE wait" is defined as: the largest (clock_timestamp() - pg_locks.waitstart) seen in
 * any sample, over the not-granted locks on training_sessions, counting only samples in which some backend
 * holds or requests an AccessExclusiveLock on training_sessions. Every backend counts (the probe, the
 * migrator itself waiting for its AccessExclusiveLock, anything else). It is a lower bound of the real wait
 * by at most one sampling interval (the end of a wait falls between two samples). When waitstart is still
 * NULL (PostgreSQL fills it in just after the wait begins) the first sample that saw the wait stands in.
 *
 * The sampler also records:
 *   - every distinct lock wait on training_sessions (pid, mode, longest wait seen, blockers and their query),
 *   - the intervals during which some backend held or requested AccessExclusiveLock on the table,
 *   - the statement timeline of the migrating connection (application_name gym-migrator / bench-seed-a),
 * so that slow probe queries can be tied to the migration statement that was running.
 */

export interface LockWait {
  pid: number;
  app: string;
  mode: string;
  /** Bench-clock ms of the first sample that saw the wait. */
  firstSeen: number;
  lastSeen: number;
  maxWaitMs: number;
  /** Whether an AccessExclusiveLock on training_sessions was held or requested in a sample during this wait. */
  underAccessExclusive: boolean;
  blockers: { pid: number; app: string; query: string }[];
}

export interface AeInterval {
  pid: number;
  app: string;
  granted: boolean;
  firstSeen: number;
  lastSeen: number;
  query: string;
}

export interface StatementSpan {
  /** Bench-clock ms of the first sample that saw this statement (or state) on the migrating connection. */
  t: number;
  pid: number;
  app: string;
  state: string;
  wait: string | null;
  query: string;
}

export interface LockReport {
  samples: number;
  sampleEveryMs: number;
  /** Median interval actually achieved between samples. */
  achievedIntervalMs: number | null;
  longestAccessExclusiveWaitMs: number;
  longestAccessExclusiveWait: LockWait | null;
  longestAnyWaitMs: number;
  waits: LockWait[];
  accessExclusive: AeInterval[];
  timeline: StatementSpan[];
  /**
   * Other work on the same server while the contestant ran: the most active client backends seen at once in
   * other databases, in how many samples there were any, and in how many the checkpointer was busy (not idle
   * in CheckpointerMain).
   */
  interference: { otherActiveBackendsMax: number; samplesWithOtherActive: number; samplesCheckpointerBusy: number };
  /** Wait events of the probe's own backends seen in samples (active and waiting): lock, LWLock, IO, ... */
  probeWaits: { t: number; pid: number; wait: string }[];
}

/** The SQL of a statement as one line without its leading comments, cut to `max` characters. */
export function oneLineSql(q: string | null | undefined, max = 140): string {
  if (!q) return '';
  const text = q
    .split('\n')
    .map((l) => l.replace(/--.*$/, ''))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

interface LockRow {
  pid: number;
  mode: string;
  granted: boolean;
  wait_ms: number | null;
  waitstart: string | null;
  app: string | null;
  query: string | null;
  blockers: number[] | null;
}

interface ActRow {
  pid: number;
  app: string;
  state: string | null;
  wait: string | null;
  query_start: string | null;
  query: string | null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

export class LockSampler {
  private client: pg.Client | null = null;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private waits = new Map<string, LockWait>();
  private ae = new Map<string, AeInterval>();
  private timeline: StatementSpan[] = [];
  private lastStmt = new Map<number, string>();
  private sampleTimes: number[] = [];
  private dbOid = 0;
  private othersMax = 0;
  private probeWaits: { t: number; pid: number; wait: string }[] = [];
  private othersSamples = 0;
  private checkpointerBusySamples = 0;
  private relOid = 0;

  constructor(
    private readonly url: string,
    private readonly origin: number,
    private readonly everyMs: number,
    private readonly migratorApps: string[],
  ) {}

  async prepare(): Promise<void> {
    this.client = await connectClient(this.url, 'bench-lock-sampler');
    const { rows } = await this.client.query<{ db: number; rel: number }>(
      `SELECT (SELECT oid FROM pg_database WHERE datname = current_database())::int AS db, 'training_sessions'::regclass::oid::int AS rel`,
    );
    this.dbOid = rows[0]!.db;
    this.relOid = rows[0]!.rel;
  }

  start(maxDurationMs: number): void {
    const c = this.client!;
    const begin = performance.now();
    this.loop = (async () => {
      for (let k = 0; !this.stopped && performance.now() - begin < maxDurationMs; ) {
        const due = begin + k * this.everyMs;
        const now = performance.now();
        if (due > now) await sleep(due - now);
        if (this.stopped) break;
        const t = performance.now() - this.origin;
        try {
          const { rows } = await c.query<{
            locks: LockRow[] | null;
            act: ActRow[] | null;
            others: number;
            ckpt: number;
            probe: { pid: number; wait: string }[] | null;
          }>(
            `SELECT
               (SELECT json_agg(json_build_object(
                         'pid', l.pid, 'mode', l.mode, 'granted', l.granted,
                         'wait_ms', CASE WHEN NOT l.granted THEN extract(epoch FROM clock_timestamp() - l.waitstart) * 1000 END,
                         'waitstart', l.waitstart, 'app', a.application_name, 'query', left(a.query, 2000),
                         'blockers', CASE WHEN NOT l.granted THEN pg_blocking_pids(l.pid) END))
                  FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
                 WHERE l.locktype = 'relation' AND l.database = $1 AND l.relation = $2) AS locks,
               (SELECT json_agg(json_build_object(
                         'pid', pid, 'app', application_name, 'state', state,
                         'wait', wait_event_type || ':' || wait_event, 'query_start', query_start, 'query', left(query, 2000)))
                  FROM pg_stat_activity WHERE application_name = ANY($3) AND backend_type = 'client backend'
                   AND datname = current_database()) AS act,
               (SELECT count(*)::int FROM pg_stat_activity
                 WHERE backend_type = 'client backend' AND state = 'active' AND datname IS DISTINCT FROM current_database()) AS others,
               (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'checkpointer' AND wait_event IS DISTINCT FROM 'CheckpointerMain') AS ckpt,
               (SELECT json_agg(json_build_object('pid', pid, 'wait', wait_event_type || ':' || wait_event))
                  FROM pg_stat_activity
                 WHERE datname = current_database() AND application_name LIKE 'bench-probe-%'
                   AND state = 'active' AND wait_event IS NOT NULL) AS probe`,
            [this.dbOid, this.relOid, this.migratorApps],
          );
          this.ingest(t, rows[0]?.locks ?? [], rows[0]?.act ?? []);
          for (const p of rows[0]?.probe ?? []) this.probeWaits.push({ t, pid: p.pid, wait: p.wait });
          const others = rows[0]?.others ?? 0;
          this.othersMax = Math.max(this.othersMax, others);
          if (others > 0) this.othersSamples++;
          if ((rows[0]?.ckpt ?? 0) > 0) this.checkpointerBusySamples++;
          this.sampleTimes.push(t);
        } catch {
          // A failed sample is only a missing sample.
        }
        k++;
        const late = Math.floor((performance.now() - (begin + k * this.everyMs)) / this.everyMs);
        if (late > 0) k += late;
      }
    })();
  }

  private ingest(t: number, locks: LockRow[], act: ActRow[]): void {
    const aePresent = locks.some((l) => l.mode === 'AccessExclusiveLock');
    const byPid = new Map<number, { app: string; query: string }>();
    for (const l of locks) byPid.set(l.pid, { app: l.app ?? '?', query: oneLineSql(l.query) });
    for (const a of act) byPid.set(a.pid, { app: a.app, query: oneLineSql(a.query) });

    for (const l of locks) {
      if (l.mode === 'AccessExclusiveLock') {
        const key = `${l.pid}|${l.granted}|${oneLineSql(l.query, 400)}`;
        const cur = this.ae.get(key);
        if (cur) cur.lastSeen = t;
        else
          this.ae.set(key, {
            pid: l.pid,
            app: l.app ?? '?',
            granted: l.granted,
            firstSeen: t,
            lastSeen: t,
            query: oneLineSql(l.query, 400),
          });
      }
      if (l.granted) continue;
      const key = `${l.pid}|${l.mode}|${l.waitstart ?? 'pending'}`;
      let w = this.waits.get(key);
      if (!w) {
        // A wait first seen with waitstart NULL gets its waitstart later: merge it into that entry.
        const pendingKey = `${l.pid}|${l.mode}|pending`;
        const pending = l.waitstart ? this.waits.get(pendingKey) : undefined;
        if (pending) {
          this.waits.delete(pendingKey);
          this.waits.set(key, pending);
          w = pending;
        } else {
          w = {
            pid: l.pid,
            app: l.app ?? '?',
            mode: l.mode,
            firstSeen: t,
            lastSeen: t,
            maxWaitMs: 0,
            underAccessExclusive: false,
            blockers: [],
          };
          this.waits.set(key, w);
        }
      }
      w.lastSeen = t;
      const waited = l.wait_ms ?? t - w.firstSeen;
      w.maxWaitMs = Math.max(w.maxWaitMs, waited);
      if (aePresent) w.underAccessExclusive = true;
      for (const b of l.blockers ?? []) {
        const info = byPid.get(b) ?? { app: '?', query: '' };
        if (!w.blockers.some((x) => x.pid === b && x.query === info.query)) w.blockers.push({ pid: b, ...info });
      }
    }

    for (const a of act) {
      const sig = `${a.state}|${a.wait}|${a.query_start}|${a.query?.length}`;
      if (this.lastStmt.get(a.pid) === sig) continue;
      this.lastStmt.set(a.pid, sig);
      this.timeline.push({
        t,
        pid: a.pid,
        app: a.app,
        state: a.state ?? '?',
        wait: a.wait,
        query: oneLineSql(a.query, 160),
      });
    }
  }

  async stop(): Promise<LockReport> {
    this.stopped = true;
    await this.loop;
    await this.client?.end().catch(() => {});
    const waits = [...this.waits.values()].sort((a, b) => b.maxWaitMs - a.maxWaitMs);
    const aeWaits = waits.filter((w) => w.underAccessExclusive);
    const gaps = this.sampleTimes.slice(1).map((t, i) => t - this.sampleTimes[i]!);
    gaps.sort((a, b) => a - b);
    return {
      samples: this.sampleTimes.length,
      sampleEveryMs: this.everyMs,
      achievedIntervalMs: gaps.length ? gaps[Math.floor(gaps.length / 2)]! : null,
      longestAccessExclusiveWaitMs: aeWaits[0]?.maxWaitMs ?? 0,
      longestAccessExclusiveWait: aeWaits[0] ?? null,
      longestAnyWaitMs: waits[0]?.maxWaitMs ?? 0,
      waits: waits.slice(0, 50),
      accessExclusive: [...this.ae.values()].sort((a, b) => a.firstSeen - b.firstSeen),
      timeline: this.timeline,
      probeWaits: this.probeWaits,
      interference: {
        otherActiveBackendsMax: this.othersMax,
        samplesWithOtherActive: this.othersSamples,
        samplesCheckpointerBusy: this.checkpointerBusySamples,
      },
    };
  }
}

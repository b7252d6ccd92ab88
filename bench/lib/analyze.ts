import type { BenchEvent } from './contestants';
import type { LockReport, StatementSpan } from './locks';
import type { ProbeKind, ProbeSample } from './probe';
import { type LatencySummary, round, summarize } from './stats';

export interface WindowStats {
  from: number;
  to: number;
  all: LatencySummary;
  byKind: Record<ProbeKind, LatencySummary>;
  errors: number;
  errorCodes: Record<string, number>;
}

/** Samples complete inside [from, to): the baseline window. */
export function inWindow(samples: ProbeSample[], from: number, to: number): ProbeSample[] {
  return samples.filter((s) => s.t >= from && s.t + s.ms <= to);
}

/** Samples whose [sent, answered] overlaps [from, to]: "during the migration". */
export function overlapping(samples: ProbeSample[], from: number, to: number): ProbeSample[] {
  return samples.filter((s) => s.t <= to && s.t + s.ms >= from);
}

export function windowStats(samples: ProbeSample[], from: number, to: number): WindowStats {
  const kinds: ProbeKind[] = ['read', 'insert', 'update'];
  const byKind = Object.fromEntries(
    kinds.map((k) => [k, summarize(samples.filter((s) => s.kind === k).map((s) => s.ms))]),
  ) as Record<ProbeKind, LatencySummary>;
  const errorCodes: Record<string, number> = {};
  for (const s of samples) if (!s.ok) errorCodes[s.code ?? '?'] = (errorCodes[s.code ?? '?'] ?? 0) + 1;
  return {
    from,
    to,
    all: summarize(samples.map((s) => s.ms)),
    byKind,
    errors: samples.filter((s) => !s.ok).length,
    errorCodes,
  };
}

function activeAt(timeline: StatementSpan[], t: number): StatementSpan | null {
  let found: StatementSpan | null = null;
  for (const s of timeline) {
    if (s.t <= t) found = s;
    else break;
  }
  return found;
}

function lastEventBefore(events: BenchEvent[], t: number): BenchEvent | null {
  let found: BenchEvent | null = null;
  for (const e of events) {
    if (e.t <= t) found = e;
    else break;
  }
  return found;
}

export interface SlowQuery {
  t: number;
  kind: ProbeKind;
  ms: number;
  ok: boolean;
  code?: string;
  /** The migrating connection's statement when the query was sent, and when it was answered. */
  migratorAtSend: string | null;
  migratorAtEnd: string | null;
  /** The last event the contestant reported before the query was sent. */
  lastEvent: string | null;
  /** Lock waits of this probe connection on training_sessions seen during the query, with their blockers. */
  lockWaits: { mode: string; maxWaitMs: number; blockers: string[] }[];
  /** Wait events (pg_stat_activity) of this probe backend seen by the sampler during the query, with counts. */
  waitEvents: Record<string, number>;
}

/**
 * The slowest probe queries during the migration, each tied to what the migration was doing: the statement
 * the migrating connection ran (from the lock sampler's timeline), the contestant's last event, and any lock
 * wait of that probe connection the sampler saw, with the blocking backend's statement.
 */
export function slowQueries(
  during: ProbeSample[],
  slowMs: number,
  pids: Record<ProbeKind, number>,
  locks: LockReport,
  events: BenchEvent[],
  limit = 15,
): SlowQuery[] {
  const describe = (s: StatementSpan | null) => (s ? `[${s.state}${s.wait ? ` ${s.wait}` : ''}] ${s.query}` : null);
  return during
    .filter((s) => s.ms > slowMs)
    .sort((a, b) => b.ms - a.ms)
    .slice(0, limit)
    .map((s) => {
      const ev = lastEventBefore(events, s.t);
      const waits = locks.waits.filter((w) => w.pid === pids[s.kind] && w.lastSeen >= s.t && w.firstSeen <= s.t + s.ms);
      const waitEvents: Record<string, number> = {};
      for (const w of locks.probeWaits) {
        if (w.pid === pids[s.kind] && w.t >= s.t && w.t <= s.t + s.ms)
          waitEvents[w.wait] = (waitEvents[w.wait] ?? 0) + 1;
      }
      return {
        t: round(s.t, 1)!,
        kind: s.kind,
        ms: round(s.ms, 1)!,
        ok: s.ok,
        ...(s.code ? { code: s.code } : {}),
        migratorAtSend: describe(activeAt(locks.timeline, s.t)),
        migratorAtEnd: describe(activeAt(locks.timeline, s.t + s.ms)),
        lastEvent: ev
          ? `${ev.event}${'tag' in ev ? ` ${String(ev.tag)}` : ''}${'step' in ev ? ` ${String(ev.step)} rows=${String(ev.rows)}` : ''} @${round(ev.t, 0)}`
          : null,
        lockWaits: waits.map((w) => ({
          mode: w.mode,
          maxWaitMs: round(w.maxWaitMs, 1)!,
          blockers: w.blockers.map((b) => `${b.pid} ${b.app}: ${b.query}`),
        })),
        waitEvents,
      };
    });
}

/**
 * Each statement the migrating connection ran, from the sampler's timeline: consecutive samples of the same
 * backend running the same statement are merged, with the wait events seen during it. Durations are
 * approximate (one sampling interval either way); statements shorter than one interval may not appear.
 */
export function statementDurations(
  timeline: StatementSpan[],
  end: number,
): { t: number; ms: number; waits: string[]; query: string }[] {
  const out: { t: number; ms: number; waits: string[]; query: string; pid: number }[] = [];
  const close = (pid: number, at: number) => {
    const open = [...out].reverse().find((x) => x.pid === pid && x.ms < 0);
    if (open) open.ms = round(at - open.t, 0)!;
  };
  for (const s of timeline) {
    const last = [...out].reverse().find((x) => x.pid === s.pid);
    const running = s.state === 'active';
    if (last && last.ms < 0 && running && last.query === s.query) {
      if (s.wait && !last.waits.includes(s.wait)) last.waits.push(s.wait);
      continue;
    }
    close(s.pid, s.t);
    if (running) out.push({ t: round(s.t, 0)!, ms: -1, waits: s.wait ? [s.wait] : [], query: s.query, pid: s.pid });
  }
  for (const o of out) if (o.ms < 0) o.ms = round(end - o.t, 0)!;
  return out.map(({ pid: _pid, ...rest }) => rest);
}

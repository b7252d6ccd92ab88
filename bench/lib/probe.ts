import type pg from 'pg';
import { DATA_DAYS, DATA_FROM } from './load';
import { connectClient } from './server';

export type ProbeKind = 'read' | 'insert' | 'update';

export interface ProbeSample {
  /** When the query was sent, ms since the bench clock's origin (performance.now()). */
  t: number;
  kind: ProbeKind;
  /** Time from sending the query to its answer (result or error), ms. */
  ms: number;
  ok: boolean;
  /** SQLSTATE of a failed query. */
  code?: string;
  error?: string;
  /** An insert re-sent at once after it failed on a schema change (the probe learned the new shape). */
  retry?: boolean;
  /** For inserts: whether machine_id was given. */
  withMachine?: boolean;
}

export interface ProbeRates {
  read: number;
  insert: number;
  update: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/**
 * One connection issuing one kind of query on a wall-clock schedule: the k-th query is due at start + k/rate.
 * A query is never sent while the previous one on the same connection is still waiting, so a blocked query
 * shows its whole wait as its own latency; the ticks that fall due while it waits are skipped (counted), not
 * sent in a burst afterwards, so the load after a block is the same as before it.
 */
class Stream {
  skipped = 0;
  sent = 0;
  private stopped = false;
  private done: Promise<void> | null = null;
  constructor(
    readonly kind: ProbeKind,
    readonly client: pg.Client,
    readonly rate: number,
    private readonly op: () => Promise<void>,
  ) {}

  start(maxDurationMs: number): void {
    const interval = 1000 / this.rate;
    const start = performance.now();
    const maxTicks = Math.ceil(maxDurationMs / interval) + 1;
    this.done = (async () => {
      for (let k = 0; k < maxTicks && !this.stopped; ) {
        const due = start + k * interval;
        const now = performance.now();
        if (due > now) await sleep(due - now);
        if (this.stopped) break;
        this.sent++;
        await this.op();
        k++;
        const late = Math.floor((performance.now() - (start + k * interval)) / interval);
        if (late > 0) {
          this.skipped += late;
          k += late;
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

interface Shape {
  hasMachineId: boolean;
}

export interface ProbeOptions {
  url: string;
  rates: ProbeRates;
  /** The bench clock origin: sample times are performance.now() - origin. */
  origin: number;
  /** Hard bound on how long the streams may run. */
  maxDurationMs: number;
  /** How many existing session ids to sample for reads and updates. */
  idSample: number;
}

/**
 * The application's traffic on training_sessions, on three connections of its own: reads by primary key,
 * inserts and updates. Valid before and after the migration: inserts give trainer_id, plus machine_id once
 * that column exists (learned from RETURNING * of each insert, and from information_schema when an insert
 * fails on a missing column or a NOT NULL machine_id, after which it is sent again at once). Before each insert
 * an untimed catalog read (pg_attribute, no table lock) checks for machine_id, so an insert only fails when the
 * shape changed between that check and the insert, or while the insert waited (for a lock).
 */
export class Probe {
  readonly samples: ProbeSample[] = [];
  readonly pids: Record<ProbeKind, number> = { read: 0, insert: 0, update: 0 };
  private streams: Stream[] = [];
  private clients: pg.Client[] = [];
  private ids: string[] = [];
  private trainers: string[] = [];
  private machines: string[] = [];
  private shape: Shape = { hasMachineId: false };
  private seq = 0;
  shapeChanges: { t: number; hasMachineId: boolean; how: string }[] = [];

  constructor(private readonly opts: ProbeOptions) {}

  private now(): number {
    return performance.now() - this.opts.origin;
  }

  async prepare(): Promise<void> {
    const kinds: ProbeKind[] = ['read', 'insert', 'update'];
    for (const kind of kinds) {
      const c = await connectClient(this.opts.url, `bench-probe-${kind}`);
      this.clients.push(c);
      const { rows } = await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      this.pids[kind] = rows[0]!.pid;
    }
    const c = this.clients[0]!;
    const { rows: cnt } = await c.query<{ n: string }>(
      `SELECT reltuples::bigint AS n FROM pg_class WHERE oid = 'training_sessions'::regclass`,
    );
    const total = Math.max(1, Number(cnt[0]!.n));
    const pct = Math.min(100, ((this.opts.idSample * 1.5) / total) * 100);
    const { rows: ids } = await c.query<{ id: string }>(
      `SELECT id FROM training_sessions TABLESAMPLE BERNOULLI (${pct.toFixed(6)}) REPEATABLE (7) LIMIT ${this.opts.idSample}`,
    );
    this.ids = ids.map((r) => r.id);
    if (this.ids.length === 0) throw new Error('the probe found no training sessions to read');
    this.trainers = (
      await c.query<{ id: string }>(`SELECT id FROM trainers WHERE status = 'active' ORDER BY email`)
    ).rows.map((r) => r.id);
    this.machines = (await c.query<{ id: string }>(`SELECT id FROM machines ORDER BY machine_number`)).rows.map(
      (r) => r.id,
    );
    await this.refreshShape(c, 'initial');
  }

  private async refreshShape(c: pg.Client, how: string): Promise<void> {
    const { rows } = await c.query<{ present: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM information_schema.columns
                       WHERE table_schema = current_schema() AND table_name = 'training_sessions'
                         AND column_name = 'machine_id') AS present`,
    );
    this.setShape(rows[0]!.present, how);
  }

  private setShape(hasMachineId: boolean, how: string): void {
    if (hasMachineId !== this.shape.hasMachineId || this.shapeChanges.length === 0) {
      this.shapeChanges.push({ t: this.now(), hasMachineId, how });
    }
    this.shape.hasMachineId = hasMachineId;
  }

  private pick<T>(list: T[]): T {
    return list[Math.floor(Math.random() * list.length)]!;
  }

  private async timed(
    kind: ProbeKind,
    c: pg.Client,
    text: string,
    values: unknown[],
    extra: Partial<ProbeSample> = {},
  ) {
    const t0 = performance.now();
    try {
      const res = await c.query(text, values);
      this.samples.push({ t: t0 - this.opts.origin, kind, ms: performance.now() - t0, ok: true, ...extra });
      return { res, err: null as null | { code?: string; message?: string } };
    } catch (e) {
      const err = e as { code?: string; message?: string };
      this.samples.push({
        t: t0 - this.opts.origin,
        kind,
        ms: performance.now() - t0,
        ok: false,
        code: err.code,
        error: err.message,
        ...extra,
      });
      return { res: null, err };
    }
  }

  private read = async (): Promise<void> => {
    await this.timed('read', this.clients[0]!, 'SELECT * FROM training_sessions WHERE id = $1', [this.pick(this.ids)]);
  };

  private update = async (): Promise<void> => {
    await this.timed('update', this.clients[2]!, 'UPDATE training_sessions SET notes = $2 WHERE id = $1', [
      this.pick(this.ids),
      `probe update ${++this.seq}`,
    ]);
  };

  private insertOnce(retry: boolean) {
    const start = new Date(
      Date.parse(DATA_FROM) +
        Math.floor(Math.random() * DATA_DAYS) * 86_400_000 +
        (6 + Math.floor(Math.random() * 14)) * 3_600_000,
    );
    const end = new Date(start.getTime() + 3_600_000);
    const cols = ['trainer_id', 'scheduled_start', 'scheduled_end', 'status', 'session_type', 'notes'];
    const values: unknown[] = [
      this.pick(this.trainers),
      start.toISOString(),
      end.toISOString(),
      'scheduled',
      'personal',
      `probe insert ${++this.seq}`,
    ];
    const withMachine = this.shape.hasMachineId;
    if (withMachine) {
      // Machine 1, like every old session: Machines 2 and 3 stay empty for the RESTRICT check afterwards.
      cols.push('machine_id');
      values.push(this.machines[0]);
    }
    const text = `INSERT INTO training_sessions (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`;
    return this.timed('insert', this.clients[1]!, text, values, { withMachine, ...(retry ? { retry: true } : {}) });
  }

  private insert = async (): Promise<void> => {
    const c = this.clients[1]!;
    // Before each insert, untimed: does machine_id exist? A catalog read that takes no lock on the table.
    try {
      const { rows } = await c.query<{ present: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'training_sessions'::regclass
                           AND attname = 'machine_id' AND NOT attisdropped) AS present`,
      );
      this.setShape(rows[0]!.present, 'pg_attribute before insert');
    } catch {
      // Learned from the insert's outcome instead.
    }
    const { res, err } = await this.insertOnce(false);
    if (res) {
      this.setShape(
        res.fields.some((f) => f.name === 'machine_id'),
        'RETURNING *',
      );
      return;
    }
    // 42703: a column we name no longer exists; 23502: machine_id is NOT NULL now and we did not give it.
    if (err && (err.code === '42703' || err.code === '23502')) {
      await this.refreshShape(c, `after ${err.code}`).catch(() => {});
      const again = await this.insertOnce(true);
      if (again.res)
        this.setShape(
          again.res.fields.some((f) => f.name === 'machine_id'),
          'RETURNING * (retry)',
        );
    }
  };

  start(): void {
    const d = this.opts.maxDurationMs;
    this.streams = [
      new Stream('read', this.clients[0]!, this.opts.rates.read, this.read),
      new Stream('insert', this.clients[1]!, this.opts.rates.insert, this.insert),
      new Stream('update', this.clients[2]!, this.opts.rates.update, this.update),
    ];
    for (const s of this.streams) s.start(d);
  }

  skipped(): Record<ProbeKind, number> {
    const out: Record<ProbeKind, number> = { read: 0, insert: 0, update: 0 };
    for (const s of this.streams) out[s.kind] = s.skipped;
    return out;
  }

  async stop(): Promise<void> {
    await Promise.all(this.streams.map((s) => s.stop()));
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.end().catch(() => {})));
  }
}

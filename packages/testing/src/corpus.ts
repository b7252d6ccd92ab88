/**
 * The safe-generate corpus (issue 19): a copy of @gym/db's schema and migrations in a temp folder, edited per
 * case, given to `gym-generate` (what `pnpm db:generate` runs), and the result applied by the migrator to a
 * copy of a database holding CORPUS_ROWS training sessions while an app reads and writes them.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { repoRoot } from './cli';

/** The issue's floor for the corpus: every case runs on a table of at least this many rows. */
export const CORPUS_ROWS = Number(process.env.GYM_CORPUS_ROWS ?? 100_000);

const dbPackage = path.join(repoRoot, 'packages/db');
const generateBin = path.join(repoRoot, 'packages/generate/bin/gym-generate.mjs');

/** A private copy of packages/db's drizzle-kit project: config, schema sources, migrations. */
export interface Workspace {
  dir: string;
  migrations: string;
  /** Edits a schema file (relative to src/schema) by exact text replacement; fails if the text is not there. */
  edit(file: string, from: string, to: string): void;
  write(file: string, text: string): void;
  copy(): Workspace;
  /** The folder's files, to prove that a refused run wrote nothing. */
  listing(): string[];
  remove(): void;
}

function workspaceAt(dir: string): Workspace {
  const schema = path.join(dir, 'src/schema');
  const ws: Workspace = {
    dir,
    migrations: path.join(dir, 'migrations'),
    edit(file, from, to) {
      const f = path.join(schema, file);
      const text = fs.readFileSync(f, 'utf8');
      if (!text.includes(from)) throw new Error(`corpus edit: ${file} has no ${JSON.stringify(from)}`);
      fs.writeFileSync(f, text.replace(from, to));
    },
    write(file, text) {
      fs.writeFileSync(path.join(schema, file), text);
    },
    copy() {
      const to = fs.mkdtempSync(path.join(os.tmpdir(), 'gym-corpus-'));
      for (const entry of fs.readdirSync(dir)) {
        if (entry === 'node_modules') continue;
        fs.cpSync(path.join(dir, entry), path.join(to, entry), { recursive: true });
      }
      fs.symlinkSync(path.join(dbPackage, 'node_modules'), path.join(to, 'node_modules'));
      return workspaceAt(to);
    },
    listing() {
      const out: string[] = [];
      const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          const p = path.join(d, e.name);
          if (e.isDirectory()) walk(p);
          else out.push(`${path.relative(dir, p)} ${fs.statSync(p).size}`);
        }
      };
      walk(ws.migrations);
      return out.sort();
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return ws;
}

/** packages/db's config, schema and migrations, copied; node_modules linked so that the schema resolves. */
export function copyDbPackage(): Workspace {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gym-corpus-'));
  fs.cpSync(path.join(dbPackage, 'src'), path.join(dir, 'src'), { recursive: true });
  fs.cpSync(path.join(dbPackage, 'migrations'), path.join(dir, 'migrations'), { recursive: true });
  fs.copyFileSync(path.join(dbPackage, 'drizzle.config.ts'), path.join(dir, 'drizzle.config.ts'));
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
  fs.symlinkSync(path.join(dbPackage, 'node_modules'), path.join(dir, 'node_modules'));
  return workspaceAt(dir);
}

export interface GenerateRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** --json events. */
  events: Record<string, unknown>[];
  /** drizzle-kit's own SQL for the change. */
  drizzleSql: string[];
  /** Tags of the files written, in journal order. */
  tags: string[];
}

/** Runs gym-generate exactly as `pnpm db:generate` does (with gym-db's --set), on a workspace. */
export function generate(ws: Workspace, name: string, extra: string[] = []): Promise<GenerateRun> {
  const args = [
    generateBin,
    '--config',
    path.join(ws.dir, 'drizzle.config.ts'),
    '--name',
    name,
    '--set',
    'gym.preserve_updated_at=on',
    '--json',
    ...extra,
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ws.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const events = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({
        code,
        stdout,
        stderr,
        events,
        drizzleSql: (events.find((e) => e.event === 'drizzle_kit')?.statements as string[] | undefined) ?? [],
        tags: events.filter((e) => e.event === 'file').map((e) => e.tag as string),
      });
    });
  });
}

/** The statements of a migration file, split as drizzle and the migrator split them. */
export function statementsOf(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('--> statement-breakpoint')
    .filter((s) => s.replace(/--[^\n]*/g, '').trim() !== '');
}

/**
 * Loads the corpus table: CORPUS_ROWS training sessions over the three machines, one an hour (so none overlap),
 * every column varied (NULLs included), plus trainers, 1,000 recorded machine moves, and a check-in for each
 * session (session_checkins, the base's table without a primary key). Triggers are
 * skipped for the load (superuser); the values are what they would have computed.
 */
export async function loadCorpusRows(pool: pg.Pool, rows: number): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('SET LOCAL session_replication_role = replica');
    await c.query(`INSERT INTO trainers (first_name, last_name, email)
                   SELECT 'Trainer', 'Corpus ' || g, 'corpus-trainer-' || g || '@gym.test' FROM generate_series(1, 20) g`);
    await c.query(
      `INSERT INTO training_sessions (id, machine_id, trainer_id, scheduled_start, scheduled_end, status, current_participants,
                                      notes, session_type, intensity, room_code, created_at, updated_at)
       SELECT md5('corpus ' || g)::uuid, m.ids[1 + g % 3], CASE WHEN g % 3 = 0 THEN NULL ELSE t.ids[1 + g % 20] END,
              timestamptz '2020-01-01 00:00Z' + g * interval '1 hour', timestamptz '2020-01-01 00:45Z' + g * interval '1 hour',
              (ARRAY['completed', 'cancelled', 'scheduled', 'in_progress'])[1 + g % 4], 0,
              CASE WHEN g % 5 = 0 THEN NULL ELSE 'note ' || g || ' “quoted” ''single''' END,
              (ARRAY['personal', 'assessment', 'rehab', NULL])[1 + g % 4],
              (ARRAY['easy', 'moderate', 'hard', NULL])[1 + g % 4]::session_intensity,
              CASE WHEN g % 7 = 0 THEN NULL ELSE 'R-' || (g % 400) END,
              timestamptz '2019-12-01 00:00Z' + g * interval '1 second', timestamptz '2019-12-15 00:00Z' + g * interval '1 second'
         FROM generate_series(1, $1::int) g,
              (SELECT array_agg(id ORDER BY machine_number) AS ids FROM machines) m,
              (SELECT array_agg(id ORDER BY email) AS ids FROM trainers) t`,
      [rows],
    );
    await c.query(
      `INSERT INTO session_machine_moves (session_id, from_machine_id, to_machine_id, moved_at)
       SELECT md5('corpus ' || g)::uuid, m.ids[1], m.ids[2], timestamptz '2021-01-01 00:00Z' + g * interval '1 minute'
         FROM generate_series(1, least($1::int, 1000)) g, (SELECT array_agg(id ORDER BY machine_number) AS ids FROM machines) m`,
      [rows],
    );
    // One check-in per session, seq filled (a nullable column a PRIMARY KEY case makes NOT NULL).
    await c.query(
      `INSERT INTO session_checkins (session_id, seq, checked_in_at)
       SELECT md5('corpus ' || g)::uuid, g, timestamptz '2020-01-01 00:05Z' + g * interval '1 hour'
         FROM generate_series(1, $1::int) g`,
      [rows],
    );
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    c.release();
  }
  await pool.query('VACUUM ANALYZE training_sessions, session_machine_moves, trainers, session_checkins');
}

/** One query the corpus app sent: every query is recorded, none is retried. */
export interface AppCall {
  kind: string;
  ok: boolean;
  error?: string;
  /** When it was sent and how long until its answer, in performance.now() ms (what the bench reads). */
  sent: number;
  ms: number;
}

export interface AppShape {
  /** Extra columns the app's reads name (a column about to be dropped is read until the deploy). */
  reads: string[];
  /** Extra column values its inserts send: SQL expressions (the new app writes a new NOT NULL column). */
  inserts: Record<string, string>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The app during the deploy: two connections reading and writing training_sessions (inserts in its own future
 * slots, reads and updates of loaded rows, a calendar range scan) and session_checkins (inserts, reads).
 * `lockTimeoutMs` only keeps a stuck query from hanging the run (0: none, as the bench measures stalls whole);
 * what it waited on is judged from pg_locks and pg_stat_activity, not from its duration. `shape` switches from
 * the old app's to the new app's between the two migrate steps, as a rollout does.
 */
export class CorpusApp {
  readonly calls: AppCall[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private n = 0;
  private readonly pool: pg.Pool;

  constructor(
    url: string,
    lockTimeoutMs: number,
    public shape: AppShape,
    private readonly rows: number,
    private readonly machines: string[],
  ) {
    this.pool = new pg.Pool({
      connectionString: url,
      max: 2,
      application_name: 'corpus-app',
      options: `-c lock_timeout=${lockTimeoutMs}`,
    });
    this.pool.on('error', () => {});
  }

  private loadedId(): string {
    // The loaded sessions' ids are md5('corpus ' || g)::uuid; the app computes them, as it would know them.
    const g = 1 + ((this.n * 7919) % this.rows);
    return `corpus ${g}`;
  }

  private ops(): [string, () => Promise<unknown>][] {
    return [
      [
        'insert',
        () => {
          const n = this.n++;
          // After the loaded sessions (one an hour from 2020 on, for as many hours as there are rows), so that no
          // insert overlaps one at any size: a fixed year would fall among them from ~175,000 rows on.
          const start = new Date(Date.UTC(2020, 0, 1) + (this.rows + 24 + n) * 3_600_000);
          const extra = Object.entries(this.shape.inserts);
          const cols = ['machine_id', 'scheduled_start', 'scheduled_end', 'status', 'notes', ...extra.map(([c]) => c)];
          const values = ['$1', '$2', '$3', `'scheduled'`, '$4', ...extra.map(([, v]) => v)];
          return this.pool.query(`INSERT INTO training_sessions (${cols.join(', ')}) VALUES (${values.join(', ')})`, [
            this.machines[n % this.machines.length],
            start.toISOString(),
            new Date(start.getTime() + 30 * 60_000).toISOString(),
            `corpus app ${n}`,
          ]);
        },
      ],
      [
        'select',
        () =>
          this.pool.query(
            `SELECT ${['id', 'machine_id', 'scheduled_start', 'status', 'notes', ...this.shape.reads].join(', ')}
               FROM training_sessions WHERE id = md5($1)::uuid`,
            [this.loadedId()],
          ),
      ],
      [
        'update',
        () =>
          this.pool.query(`UPDATE training_sessions SET notes = $2 WHERE id = md5($1)::uuid`, [
            this.loadedId(),
            `updated by the corpus app ${this.n++}`,
          ]),
      ],
      [
        'checkin',
        // seq after the loaded ones (1..rows), and a fresh one each time: a (session_id, seq) key stays unique.
        () =>
          this.pool.query(`INSERT INTO session_checkins (session_id, seq) VALUES (md5($1)::uuid, $2)`, [
            this.loadedId(),
            this.rows + this.n++,
          ]),
      ],
      [
        'checkins',
        () =>
          this.pool.query(
            `SELECT session_id, seq, checked_in_at FROM session_checkins WHERE session_id = md5($1)::uuid`,
            [this.loadedId()],
          ),
      ],
      [
        'calendar',
        () =>
          this.pool.query(
            `SELECT id, scheduled_start FROM training_sessions WHERE machine_id = $1 AND scheduled_start >= $2
              ORDER BY scheduled_start LIMIT 20`,
            [this.machines[this.n++ % this.machines.length], '2020-06-01T00:00:00Z'],
          ),
      ],
    ];
  }

  start(workers = 2): void {
    this.running = true;
    const ops = this.ops();
    for (let w = 0; w < workers; w++) {
      this.loops.push(
        (async () => {
          for (let i = w; this.running; i++) {
            const [kind, op] = ops[i % ops.length]!;
            const sent = performance.now();
            try {
              await op();
              this.calls.push({ kind, ok: true, sent, ms: performance.now() - sent });
            } catch (err) {
              const e = err as Error & { code?: string };
              this.calls.push({
                kind,
                ok: false,
                error: `${e.code}: ${e.message}`,
                sent,
                ms: performance.now() - sent,
              });
            }
            await sleep(2);
          }
        })(),
      );
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops.splice(0));
    await this.pool.end();
  }
}

/**
 * An app query seen waiting on the migrator's backend (pg_locks, pg_stat_activity): what it waited for, and
 * what the migrator was doing at that moment.
 */
export interface LockWait {
  pid: number;
  mode: string;
  locktype: string;
  relation: string | null;
  /** The migrator was itself waiting for a lock: the app queued behind that request, which its lock_timeout ends. */
  blockerQueued: boolean;
  /** The migrator's statement (pg_stat_activity.query: the running one, or the last one when idle in a transaction). */
  blockerQuery: string;
  blockerState: string;
  /** How long the app had waited by then (server clock): reported, never asserted on. */
  waitedMs: number;
}

/**
 * Watches pg_locks and pg_stat_activity while the migrator runs: every lock an app backend waits for whose
 * blockers include the migrator's backend, with the migrator's state and statement at that moment. One entry
 * per app wait and migrator statement and state: a server observation, not a client's timing.
 */
export class LockWatch {
  readonly waits = new Map<string, LockWait>();
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly client: pg.Client;

  constructor(
    url: string,
    private readonly database: string,
  ) {
    this.client = new pg.Client({ connectionString: url, application_name: 'corpus-lock-watch' });
  }

  async start(): Promise<void> {
    await this.client.connect();
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const { rows } = await this.client.query<{
          pid: number;
          waitstart: string;
          mode: string;
          locktype: string;
          relation: string | null;
          waited_ms: number;
          blocker_queued: boolean;
          blocker_query: string;
          blocker_state: string;
          blocker_start: string;
        }>(
          `SELECT l.pid, l.waitstart::text AS waitstart, l.mode, l.locktype, l.relation::regclass::text AS relation,
                  extract(epoch FROM clock_timestamp() - l.waitstart) * 1000 AS waited_ms,
                  coalesce(b.wait_event_type = 'Lock', false) AS blocker_queued, b.query AS blocker_query,
                  b.state AS blocker_state, b.query_start::text AS blocker_start
             FROM pg_locks l
             JOIN pg_stat_activity a ON a.pid = l.pid
             CROSS JOIN LATERAL unnest(pg_blocking_pids(l.pid)) AS bp(pid)
             JOIN pg_stat_activity b ON b.pid = bp.pid
            WHERE NOT l.granted AND l.waitstart IS NOT NULL AND a.datname = $1
              AND a.application_name = 'corpus-app' AND b.application_name = 'gym-migrator'`,
          [this.database],
        );
        for (const r of rows) {
          const key = `${r.pid} ${r.waitstart} ${r.blocker_start} ${r.blocker_queued} ${r.blocker_state}`;
          const seen = this.waits.get(key);
          if (!seen || seen.waitedMs < r.waited_ms) {
            this.waits.set(key, {
              pid: r.pid,
              mode: r.mode,
              locktype: r.locktype,
              relation: r.relation,
              blockerQueued: r.blocker_queued,
              blockerQuery: r.blocker_query,
              blockerState: r.blocker_state,
              waitedMs: Number(r.waited_ms),
            });
          }
        }
        await sleep(5);
      }
    })();
  }

  async stop(): Promise<LockWait[]> {
    this.running = false;
    await this.loop;
    await this.client.end();
    return [...this.waits.values()];
  }
}

/**
 * Rows of a table as one md5 per primary key over the chosen columns: enough to compare 100,000 rows across
 * deploy steps without holding them.
 */
export async function rowHashes(
  db: Pick<pg.ClientBase, 'query'>,
  table: string,
  columns: string[],
): Promise<Map<string, string>> {
  if (!columns.length) return new Map();
  const { rows } = await db.query<{ id: string; h: string }>(
    `SELECT id::text AS id, md5(jsonb_build_array(${columns.map((c) => `"${c}"`).join(', ')})::text) AS h FROM ${table}`,
  );
  return new Map(rows.map((r) => [r.id, r.h]));
}

export async function columnsOf(db: Pick<pg.ClientBase, 'query'>, table: string): Promise<string[]> {
  const { rows } = await db.query<{ c: string }>(
    `SELECT attname AS c FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [table],
  );
  return rows.map((r) => r.c);
}

/** A table without a key to hash rows by, as its row count and one md5 over its sorted rows. */
export async function tableChecksum(
  db: Pick<pg.ClientBase, 'query'>,
  table: string,
): Promise<{ n: number; h: string }> {
  const { rows } = await db.query<{ n: number; h: string }>(
    `SELECT count(*)::int AS n, md5(coalesce(string_agg(to_jsonb(x)::text, ',' ORDER BY to_jsonb(x)::text), '')) AS h FROM ${table} x`,
  );
  return rows[0]!;
}

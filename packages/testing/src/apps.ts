import { createDb, type Database, trainerSessionHistory, trainingSessions, trainingSessionsCalendar } from '@gym/db';
import { asc, eq, gte, sql } from 'drizzle-orm';
import pg from 'pg';

/** One query an app sent, with its outcome: every query is recorded, none is retried. */
export interface AppQuery {
  app: 'old' | 'new';
  kind: string;
  /** Date.now() when it was sent and when it was answered. */
  sent: number;
  answered: number;
  ok: boolean;
  error?: string;
}

export interface AppIds {
  trainers: string[];
  members: string[];
  machines: string[];
  sessions: string[];
}

/** The values an old-app session should still have: what the old app last wrote to it. */
export interface OldWrite {
  location: string | null;
  maxParticipants: number | null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A running app: `workers` loops, each on its own connection from the pool, sending one of `ops` at a time
 * (round robin) with a short pause between queries, until stop().
 */
abstract class App {
  readonly queries: AppQuery[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  protected n = 0;

  constructor(
    readonly name: 'old' | 'new',
    protected readonly pool: pg.Pool,
    protected readonly ids: AppIds,
  ) {}

  protected abstract ops(): [string, () => Promise<unknown>][];

  protected pick<T>(list: T[]): T {
    return list[this.n % list.length]!;
  }

  start(workers = 2): void {
    this.running = true;
    const ops = this.ops();
    for (let w = 0; w < workers; w++) {
      this.loops.push(
        (async () => {
          for (let i = w; this.running; i++) {
            const [kind, op] = ops[i % ops.length]!;
            this.n++;
            const sent = Date.now();
            try {
              await op();
              this.queries.push({ app: this.name, kind, sent, answered: Date.now(), ok: true });
            } catch (err) {
              const e = err as Error & { code?: string; cause?: { message?: string; code?: string } };
              const message = e.cause?.message ?? e.message;
              const code = e.cause?.code ?? e.code;
              this.queries.push({
                app: this.name,
                kind,
                sent,
                answered: Date.now(),
                ok: false,
                error: `${code}: ${message}`,
              });
            }
            await sleep(5);
          }
        })(),
      );
    }
  }

  /** Resolves once at least `count` queries were answered after `since` (a bound, not a timing assertion). */
  async ranSince(since: number, count: number, timeoutMs = 30_000): Promise<void> {
    const started = Date.now();
    while (this.queries.filter((q) => q.sent >= since).length < count) {
      if (Date.now() - started > timeoutMs) throw new Error(`the ${this.name} app ran fewer than ${count} queries`);
      await sleep(10);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops.splice(0));
  }
}

/**
 * The app as it was before US-002, as a fixed workload: the six statements it sends, verbatim (issue 9).
 * It never names machine_id, and it reads and writes location and max_participants.
 */
export class OldApp extends App {
  /** Every session the old app created or updated, with what it last wrote. */
  readonly written = new Map<string, OldWrite>();
  /**
   * Sessions an update is being sent for. Two loops updating one row at once could commit in the other order
   * than their promises resolve, and `written` would hold the loser's value: one update per row at a time.
   */
  private readonly updating = new Set<string>();
  private readonly locations = ['Studio A', 'Cardio room', "Jo's corner", null];

  constructor(pool: pg.Pool, ids: AppIds) {
    super('old', pool, ids);
  }

  private start_(): [string, string] {
    const start = new Date(Date.UTC(2026, 0, 1, 6) + (this.n % 5000) * 3_600_000);
    return [start.toISOString(), new Date(start.getTime() + 45 * 60_000).toISOString()];
  }

  protected ops(): [string, () => Promise<unknown>][] {
    return [
      [
        'insert',
        async () => {
          const [s, e] = this.start_();
          const location = this.pick(this.locations);
          const max = 1 + (this.n % 3);
          const { rows } = await this.pool.query<{ id: string }>(
            'INSERT INTO training_sessions (trainer_id, scheduled_start, scheduled_end, location, max_participants, session_type, notes) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id',
            [this.pick(this.ids.trainers), s, e, location, max, 'personal', `old app insert ${this.n}`],
          );
          this.written.set(rows[0]!.id, { location, maxParticipants: max });
          this.ids.sessions.push(rows[0]!.id);
        },
      ],
      [
        'select',
        () =>
          this.pool.query(
            'SELECT id, trainer_id, location, max_participants, current_participants FROM training_sessions WHERE id = $1',
            [this.pick(this.ids.sessions)],
          ),
      ],
      [
        'update',
        async () => {
          // Sessions the old app wrote itself, whose max_participants it knows; a loaded one until there is one.
          const own = [...this.written.keys()].filter((k) => !this.updating.has(k));
          const loaded = this.ids.sessions.filter((k) => !this.updating.has(k));
          const id = this.pick(own.length ? own : loaded);
          const location = `moved by the old app ${this.n}`;
          this.updating.add(id);
          try {
            await this.pool.query('UPDATE training_sessions SET location = $2, notes = $3 WHERE id = $1', [
              id,
              location,
              `old app update ${this.n}`,
            ]);
            const before = this.written.get(id);
            if (before) this.written.set(id, { ...before, location });
          } finally {
            this.updating.delete(id);
          }
        },
      ],
      [
        'calendar',
        () =>
          this.pool.query(
            'SELECT id, trainer_name, location, max_participants, participants FROM training_sessions_calendar WHERE scheduled_start >= $1 ORDER BY scheduled_start LIMIT 50',
            ['2025-01-01T00:00:00Z'],
          ),
      ],
      [
        'history',
        () =>
          this.pool.query('SELECT * FROM trainer_session_history WHERE trainer_id = $1 LIMIT 20', [
            this.pick(this.ids.trainers),
          ]),
      ],
      [
        'book',
        async () => {
          const [s, e] = this.start_();
          const location = this.pick(this.locations);
          const max = 1 + (this.n % 2);
          const { rows } = await this.pool.query<{ id: string }>(
            'SELECT create_training_session_with_members($1, $2, $3, $4, $5, $6, $7, $8) AS id',
            [
              this.pick(this.ids.trainers),
              s,
              e,
              [this.pick(this.ids.members)],
              location,
              max,
              'assessment',
              'old app booking',
            ],
          );
          this.written.set(rows[0]!.id, { location, maxParticipants: max });
        },
      ],
    ];
  }
}

/** The app after US-002/US-003, through @gym/db only: createDb, the typed tables and views, the new function. */
export class NewApp extends App {
  readonly db: Database;

  constructor(pool: pg.Pool, ids: AppIds) {
    super('new', pool, ids);
    this.db = createDb(pool);
  }

  /**
   * A slot no other query of this app has used: one hour per query, never wrapping. From 0007 on, a
   * session that overlaps an active one on its machine is refused (23P01); slots that repeated every 5,000
   * queries put inserts and bookings on slots this app had already booked, on a machine its updates had
   * moved a session to, as soon as a deploy ran long enough (the bench's post-deploy step).
   */
  private when(): [Date, Date] {
    const start = new Date(Date.UTC(2027, 0, 1, 6) + this.n * 3_600_000);
    return [start, new Date(start.getTime() + 30 * 60_000)];
  }

  protected ops(): [string, () => Promise<unknown>][] {
    return [
      [
        'insert',
        async () => {
          const [scheduledStart, scheduledEnd] = this.when();
          const [row] = await this.db
            .insert(trainingSessions)
            .values({
              machineId: this.pick(this.ids.machines),
              trainerId: this.n % 2 ? null : this.pick(this.ids.trainers),
              scheduledStart,
              scheduledEnd,
            })
            .returning({ id: trainingSessions.id });
          this.ids.sessions.push(row!.id);
        },
      ],
      [
        'select',
        () =>
          this.db
            .select()
            .from(trainingSessions)
            .where(eq(trainingSessions.id, this.pick(this.ids.sessions))),
      ],
      [
        'update',
        () =>
          this.db
            .update(trainingSessions)
            .set({ notes: `new app update ${this.n}`, machineId: this.pick(this.ids.machines) })
            .where(eq(trainingSessions.id, this.pick(this.ids.sessions))),
      ],
      [
        'calendar',
        () =>
          // The columns the US-002 release's app reads: later releases append to the view (0008 created_at).
          this.db
            .select({
              id: trainingSessionsCalendar.id,
              machineId: trainingSessionsCalendar.machineId,
              machineNumber: trainingSessionsCalendar.machineNumber,
              trainerName: trainingSessionsCalendar.trainerName,
              scheduledStart: trainingSessionsCalendar.scheduledStart,
              status: trainingSessionsCalendar.status,
              participants: trainingSessionsCalendar.participants,
            })
            .from(trainingSessionsCalendar)
            .where(gte(trainingSessionsCalendar.scheduledStart, new Date('2025-01-01T00:00:00Z')))
            .orderBy(asc(trainingSessionsCalendar.scheduledStart))
            .limit(50),
      ],
      [
        'history',
        () =>
          this.db
            .select()
            .from(trainerSessionHistory)
            .where(eq(trainerSessionHistory.trainerId, this.pick(this.ids.trainers)))
            .limit(20),
      ],
      [
        'book',
        () => {
          const [s, e] = this.when();
          return this.db.execute(
            sql`SELECT create_training_session_with_members(p_machine_id => ${this.pick(this.ids.machines)}, p_member_id => ${this.pick(this.ids.members)}, p_scheduled_start => ${s.toISOString()}, p_scheduled_end => ${e.toISOString()}) AS id`,
          );
        },
      ],
    ];
  }
}

/**
 * An application role as a hosted database has one (Supabase's anon/authenticated): it may use public and
 * gets every privilege on what the migrations create there (default privileges), nothing else.
 */
export async function createAppRole(adminDb: pg.Pool, role: string, password: string): Promise<void> {
  await adminDb.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  await adminDb.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
  await adminDb.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
  await adminDb.query(
    `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${role}`,
  );
}

export function appPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => {});
  return pool;
}

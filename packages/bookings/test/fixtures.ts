import { randomUUID } from 'node:crypto';
import { type CallerClaims, type Database, machines, members, trainers } from '@gym/db';
import { expect } from 'vitest';
import type { PgErrorFields } from '../src/errors.js';
import { BookingError, type BookingErrorCode, findPgError } from '../src/index.js';

export const unknownId = '00000000-0000-4000-8000-000000000000';

export async function machineIds(db: Database): Promise<Record<1 | 2 | 3, string>> {
  const rows = await db.select().from(machines);
  return Object.fromEntries(rows.map((m) => [m.machineNumber, m.id])) as Record<1 | 2 | 3, string>;
}

export async function addMember(db: Database, firstName = 'Ada', lastName = 'Lovelace') {
  const [m] = await db
    .insert(members)
    .values({ firstName, lastName, email: `${randomUUID()}@members.test` })
    .returning();
  return m!;
}

export async function addTrainer(db: Database, firstName = 'Tom', lastName = 'Trainer') {
  const [t] = await db
    .insert(trainers)
    .values({ firstName, lastName, email: `${randomUUID()}@trainers.test` })
    .returning();
  return t!;
}

/** A one-hour slot starting `hours` after 2026-12-01T08:00Z: every test books its own, apart from the others. */
export function slot(hours: number, minutes = 60) {
  const scheduledStart = new Date(Date.UTC(2026, 11, 1, 8) + hours * 3_600_000);
  return { scheduledStart, scheduledEnd: new Date(scheduledStart.getTime() + minutes * 60_000) };
}

const HOUR = 3_600_000;
// Two full hours after this module was loaded: a slot `ahead(h)` starts in the future for the whole run,
// whatever the date (the booking rules refuse a member's start in the past, and look at most 28 days ahead).
const base = (Math.floor(Date.now() / HOUR) + 2) * HOUR;

/** A slot starting `hours` after the run's base (two full hours from now), `minutes` long. */
export function ahead(hours: number, minutes = 60) {
  const scheduledStart = new Date(base + hours * HOUR);
  return { scheduledStart, scheduledEnd: new Date(scheduledStart.getTime() + minutes * 60_000) };
}

/** A member who signs in (auth_user_id set), and the JWT claims of their requests. */
export async function addSignedInMember(db: Database, status: 'active' | 'inactive' = 'active') {
  const authUserId = randomUUID();
  const [m] = await db
    .insert(members)
    .values({ firstName: 'Sam', lastName: 'Signed', email: `${randomUUID()}@members.test`, authUserId, status })
    .returning();
  return { member: m!, claims: { sub: authUserId, role: 'authenticated' } satisfies CallerClaims };
}

/** The claims of an admin: a user whose JWT carries app_metadata.role = 'admin'. */
export function adminClaims(): CallerClaims {
  return { sub: randomUUID(), role: 'authenticated', app_metadata: { role: 'admin' } };
}

export interface RpcBooking {
  machineId: string;
  memberId: string;
  start: Date | string;
  end: Date | string;
  trainerId?: string | null;
}

/**
 * The booking RPC as PostgREST calls it for a signed-in user: one transaction, the JWT claims in
 * request.jwt.claims, SET LOCAL ROLE authenticated, then create_training_session_with_members; committed
 * when it books (as PostgREST does), rolled back when it raises. The session id, or the error's SQLSTATE and
 * constraint.
 */
export async function rpcBook(
  pool: Database['$client'],
  claims: CallerClaims,
  b: RpcBooking,
): Promise<{ id: string } | { error: Pick<PgErrorFields, 'code' | 'constraint'>; raw: unknown }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims)]);
    await client.query('SET LOCAL ROLE authenticated');
    const iso = (d: Date | string) => (d instanceof Date ? d.toISOString() : d);
    try {
      const { rows } = await client.query<{ id: string }>(
        `SELECT create_training_session_with_members($1, $2, $3::timestamptz, $4::timestamptz, $5) AS id`,
        [b.machineId, b.memberId, iso(b.start), iso(b.end), b.trainerId ?? null],
      );
      await client.query('COMMIT');
      return { id: rows[0]!.id };
    } catch (err) {
      await client.query('ROLLBACK');
      const pgError = findPgError(err);
      if (!pgError) throw err;
      return { error: { code: pgError.code, constraint: pgError.constraint ?? undefined }, raw: err };
    }
  } finally {
    client.release();
  }
}

/**
 * Whether backend `pid` is seen in pg_stat_activity waiting on a lock (wait_event_type 'Lock') while
 * `pending`, the statement it runs, has not settled: false as soon as it settles without having been seen
 * waiting (a lock that is missing), so a broken lock fails the assertion instead of the test's timeout.
 */
export async function seenWaitingOnLock(pool: Database['$client'], pid: number, pending: Promise<unknown>) {
  let settled = false;
  pending.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  const giveUp = Date.now() + 30_000; // a guard, not an assertion on time
  while (!settled && Date.now() < giveUp) {
    const { rows } = await pool.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'`, [
      pid,
    ]);
    if (rows.length === 1) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** The BookingError `p` rejects with; fails the test if it resolves or rejects with anything else. */
export async function refusal(p: Promise<unknown>, code: BookingErrorCode): Promise<BookingError> {
  const err = await p.then(
    (v) => {
      throw new Error(`expected BookingError ${code}, got ${JSON.stringify(v)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BookingError);
  expect((err as BookingError).code).toBe(code);
  return err as BookingError;
}

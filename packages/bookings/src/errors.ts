import { bookingRuleConstraints, sessionNoOverlapConstraint, trainingSessionMembers, trainingSessions } from '@gym/db';
import { getTableConfig } from 'drizzle-orm/pg-core';

export const bookingErrorCodes = [
  'invalid_input',
  'machine_not_found',
  'machine_unavailable',
  'slot_taken',
  'invalid_time_range',
  'session_full',
  'member_not_found',
  'member_inactive',
  'trainer_not_found',
  'trainer_not_allowed',
  'session_not_found',
  'start_in_past',
  'too_far_ahead',
  'slot_too_long',
  'booking_limit_reached',
  'not_allowed',
] as const;
export type BookingErrorCode = (typeof bookingErrorCodes)[number];

/** Every refusal of a booking operation: branch on `code`; `cause` is the error the driver threw, if any. */
export class BookingError extends Error {
  override readonly name = 'BookingError';
  constructor(
    readonly code: BookingErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The fields of a PostgreSQL error that the mapping reads (pg's DatabaseError has them). */
export interface PgErrorFields {
  code: string;
  constraint?: string;
  message: string;
}

const sqlstatePattern = /^[0-9A-Z]{5}$/;

/**
 * The PostgreSQL error behind `err`: pg throws it as is, Drizzle wraps it in a DrizzleQueryError and puts
 * it at `.cause`; anything else may wrap again, so the cause chain is followed a few levels down.
 */
export function findPgError(err: unknown): PgErrorFields | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    const { code } = e as { code?: unknown };
    if (typeof code === 'string' && sqlstatePattern.test(code)) return e as PgErrorFields;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function foreignKeyName(table: typeof trainingSessions | typeof trainingSessionMembers, column: string): string {
  const fk = getTableConfig(table).foreignKeys.find((f) => f.reference().columns.some((c) => c.name === column));
  if (!fk) throw new Error(`no foreign key on ${getTableConfig(table).name}.${column}`);
  return fk.getName();
}

function checkName(table: typeof trainingSessions, name: string): string {
  const check = getTableConfig(table).checks.find((c) => c.name === name);
  if (!check) throw new Error(`no CHECK ${name} on ${getTableConfig(table).name}`);
  return check.name;
}

function indexName(table: typeof trainingSessionMembers, name: string): string {
  const index = getTableConfig(table).indexes.find((i) => i.config.name === name);
  if (!index) throw new Error(`no index ${name} on ${getTableConfig(table).name}`);
  return name;
}

interface Rule {
  sqlstate: string;
  /**
   * The constraint the error names. `null`: the error names none, which is how the booking function's
   * RAISE and the capacity trigger report (a CHECK with the same SQLSTATE names itself, and is not that).
   */
  constraint: string | null;
  code: BookingErrorCode;
}

// From SQLSTATE (and constraint) to code. Constraint names come from the schema, which the drift suite
// holds to the live catalog. PostgreSQL 18 reports a violated ON DELETE RESTRICT as 23001, not 23503, but no
// booking operation deletes a referenced row, so only inserts and updates (23503) are mapped here.
const rules: Rule[] = [
  // create_training_session_with_members (0003)
  { sqlstate: '22004', constraint: null, code: 'member_not_found' }, // no member given
  { sqlstate: '22023', constraint: null, code: 'invalid_time_range' }, // end not after start
  { sqlstate: '23503', constraint: null, code: 'machine_not_found' }, // its RAISE for an unknown machine
  { sqlstate: '55000', constraint: null, code: 'machine_unavailable' },
  // the capacity trigger on training_session_members (0002)
  { sqlstate: '23514', constraint: null, code: 'session_full' },
  // foreign keys, on insert or update
  { sqlstate: '23503', constraint: foreignKeyName(trainingSessions, 'machine_id'), code: 'machine_not_found' },
  { sqlstate: '23503', constraint: foreignKeyName(trainingSessions, 'trainer_id'), code: 'trainer_not_found' },
  { sqlstate: '23503', constraint: foreignKeyName(trainingSessionMembers, 'member_id'), code: 'member_not_found' },
  { sqlstate: '23503', constraint: foreignKeyName(trainingSessionMembers, 'session_id'), code: 'session_not_found' },
  // 0007_training_sessions_integrity: the no-overlap trigger (raised as an exclusion constraint would) and
  // the CHECK that a direct INSERT or UPDATE meets (the booking function refuses first, with 22023).
  { sqlstate: '23P01', constraint: sessionNoOverlapConstraint, code: 'slot_taken' },
  {
    sqlstate: '23514',
    constraint: checkName(trainingSessions, 'training_sessions_end_after_start_check'),
    code: 'invalid_time_range',
  },
  // A bad timestamp (an Invalid Date reaches the server as the text "Invalid Date").
  { sqlstate: '22007', constraint: null, code: 'invalid_time_range' },
  { sqlstate: '22008', constraint: null, code: 'invalid_time_range' },
  // 0009/0010: the studio's booking rules (the booking function, for members), the finite-times CHECK, the
  // unique index of one confirmed booking per session (whatever wrote the second one), and a request the
  // policies or the booking function refuse to this caller.
  {
    sqlstate: '23514',
    constraint: checkName(trainingSessions, 'training_sessions_finite_times_check'),
    code: 'invalid_time_range',
  },
  {
    sqlstate: '23505',
    constraint: indexName(trainingSessionMembers, 'training_session_members_one_confirmed_idx'),
    code: 'session_full',
  },
  { sqlstate: '55000', constraint: bookingRuleConstraints.memberActive, code: 'member_inactive' },
  { sqlstate: '23514', constraint: bookingRuleConstraints.startNotInPast, code: 'start_in_past' },
  { sqlstate: '23514', constraint: bookingRuleConstraints.maxDaysAhead, code: 'too_far_ahead' },
  { sqlstate: '23514', constraint: bookingRuleConstraints.maxSlotMinutes, code: 'slot_too_long' },
  { sqlstate: '23514', constraint: bookingRuleConstraints.maxActiveBookings, code: 'booking_limit_reached' },
  { sqlstate: '42501', constraint: bookingRuleConstraints.trainerAssignment, code: 'trainer_not_allowed' },
  { sqlstate: '42501', constraint: null, code: 'not_allowed' },
];

/**
 * `err` as a BookingError when its SQLSTATE (and constraint) is a known refusal, else undefined: the
 * caller rethrows the original, since a lost connection or a deadlock is no booking error.
 */
export function toBookingError(err: unknown): BookingError | undefined {
  if (err instanceof BookingError) return err;
  const pgError = findPgError(err);
  if (!pgError) return undefined;
  const constraint = pgError.constraint ?? null;
  const rule = rules.find((r) => r.sqlstate === pgError.code && r.constraint === constraint);
  return rule && new BookingError(rule.code, pgError.message, { cause: err });
}

const timeFields = new Set(['scheduledStart', 'scheduledEnd', 'from', 'to']);

/** What parseInput needs of a zod schema (the ones @gym/db exports). */
interface InputSchema<T> {
  safeParse(
    input: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

/**
 * `input` as `schema` parses it (ISO strings to Dates, say), or a BookingError invalid_input naming what is
 * wrong: a JSON caller gets the package's own validation, never a TypeError from deeper down.
 */
export function parseInput<T>(schema: InputSchema<T>, input: unknown, what: string): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  const described = issues.map((i) => `${i.path.map(String).join('.') || what}: ${i.message}`).join('; ');
  // A time that is no time, or an end not after its start, is what the database calls an invalid range too.
  const code = issues.every((i) => timeFields.has(String(i.path[0]))) ? 'invalid_time_range' : 'invalid_input';
  throw new BookingError(code, `invalid ${what}: ${described}`, { cause: parsed.error });
}

/** Runs `fn`, turning a known refusal into a BookingError and rethrowing anything else unchanged. */
export async function mappingErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toBookingError(err) ?? err;
  }
}

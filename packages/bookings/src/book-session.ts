import type { CreateSessionDataInput, DatabaseOrTransaction, TrainingSession } from '@gym/db';
import { createSessionDataSchema, trainingSessions } from '@gym/db';
import { eq, sql } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import { findPgError, mappingErrors, parseInput } from './errors.js';

/** What bookSession takes: Dates, or ISO-8601 strings with a zone as JSON carries them. */
export type BookSessionInput = CreateSessionDataInput;

/** How often a booking that owns its transaction is tried when the database asks for a retry (40001). */
const SERIALIZATION_ATTEMPTS = 3;

/**
 * Books one member on one machine through the database's booking function (it checks the machine, the
 * member, the time range and, for a member's own request, the studio's booking rules, and raises), and
 * returns the new session. The input is parsed with createSessionDataSchema first. Runs in a transaction
 * of its own, or a savepoint inside the caller's, so a refusal leaves the caller's transaction usable.
 * At REPEATABLE READ or SERIALIZABLE a concurrent booking of the same machine or member makes the database
 * refuse with a serialization failure (40001): in a transaction of its own the booking is tried again (and
 * then sees the other booking); inside the caller's, the caller's transaction must be retried, so the error
 * is rethrown as it is.
 * Throws BookingError: invalid_input, machine_not_found, machine_unavailable, member_not_found,
 * member_inactive, trainer_not_found, trainer_not_allowed, invalid_time_range, start_in_past, too_far_ahead,
 * slot_too_long, booking_limit_reached, not_allowed, slot_taken (the machine holds a scheduled or in-progress
 * session for part of the slot), session_full.
 */
export async function bookSession(db: DatabaseOrTransaction, input: BookSessionInput): Promise<TrainingSession> {
  const data = parseInput(createSessionDataSchema, input, 'booking');
  const attempts = db instanceof PgTransaction ? 1 : SERIALIZATION_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await mappingErrors(() =>
        db.transaction(async (tx) => {
          const { rows } = await tx.execute<{ id: string }>(sql`
            SELECT create_training_session_with_members(
              p_machine_id => ${data.machineId}::uuid,
              p_member_id => ${data.memberId}::uuid,
              p_scheduled_start => ${data.scheduledStart.toISOString()}::timestamptz,
              p_scheduled_end => ${data.scheduledEnd.toISOString()}::timestamptz,
              p_trainer_id => ${data.trainerId ?? null}::uuid,
              p_session_type => ${data.sessionType ?? null}::text,
              p_notes => ${data.notes ?? null}::text
            ) AS id`);
          // A second statement: rows a function inserts are not visible to the statement that called it.
          const [session] = await tx.select().from(trainingSessions).where(eq(trainingSessions.id, rows[0]!.id));
          return session!;
        }),
      );
    } catch (err) {
      if (attempt >= attempts || findPgError(err)?.code !== '40001') throw err;
    }
  }
}

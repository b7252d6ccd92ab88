import type { CreateSessionData, DatabaseOrTransaction, TrainingSession } from '@gym/db';
import { trainingSessions } from '@gym/db';
import { eq, sql } from 'drizzle-orm';
import { mappingErrors } from './errors.js';

export type BookSessionInput = CreateSessionData;

/**
 * Books one member on one machine through the database's booking function (it checks the machine, the
 * member and the time range, and raises), and returns the new session. Runs in a transaction of its own,
 * or a savepoint inside the caller's, so a refusal leaves the caller's transaction usable.
 * Throws BookingError: machine_not_found, machine_unavailable, member_not_found, trainer_not_found,
 * invalid_time_range, slot_taken (the machine holds a scheduled or in-progress session for part of the slot).
 */
export function bookSession(db: DatabaseOrTransaction, input: BookSessionInput): Promise<TrainingSession> {
  return mappingErrors(() =>
    db.transaction(async (tx) => {
      const { rows } = await tx.execute<{ id: string }>(sql`
        SELECT create_training_session_with_members(
          p_machine_id => ${input.machineId}::uuid,
          p_member_id => ${input.memberId}::uuid,
          p_scheduled_start => ${timestamp(input.scheduledStart)}::timestamptz,
          p_scheduled_end => ${timestamp(input.scheduledEnd)}::timestamptz,
          p_trainer_id => ${input.trainerId ?? null}::uuid,
          p_session_type => ${input.sessionType ?? null}::text,
          p_notes => ${input.notes ?? null}::text
        ) AS id`);
      // A second statement: rows a function inserts are not visible to the statement that called it.
      const [session] = await tx.select().from(trainingSessions).where(eq(trainingSessions.id, rows[0]!.id));
      return session!;
    }),
  );
}

// An instant in UTC, whatever the client's time zone; an Invalid Date goes as is and the server refuses it.
function timestamp(d: Date): string {
  return Number.isNaN(d.getTime()) ? 'Invalid Date' : d.toISOString();
}

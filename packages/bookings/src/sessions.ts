import type { DatabaseOrTransaction, TrainingSession } from '@gym/db';
import { trainingSessions } from '@gym/db';
import { eq } from 'drizzle-orm';
import { BookingError, mappingErrors } from './errors.js';

function found(sessionId: string, rows: TrainingSession[]): TrainingSession {
  if (!rows[0]) throw new BookingError('session_not_found', `training session ${sessionId} does not exist`);
  return rows[0];
}

/** Gives a session a trainer, or takes it away (`null`). Throws session_not_found, trainer_not_found. */
export function assignTrainer(
  db: DatabaseOrTransaction,
  sessionId: string,
  trainerId: string | null,
): Promise<TrainingSession> {
  return mappingErrors(async () =>
    found(
      sessionId,
      await db.update(trainingSessions).set({ trainerId }).where(eq(trainingSessions.id, sessionId)).returning(),
    ),
  );
}

/**
 * Marks a session cancelled; its bookings stay as they were, so who had booked stays on record. Cancelling
 * a cancelled session changes nothing. Throws session_not_found.
 */
export function cancelSession(db: DatabaseOrTransaction, sessionId: string): Promise<TrainingSession> {
  return mappingErrors(async () =>
    found(
      sessionId,
      await db
        .update(trainingSessions)
        .set({ status: 'cancelled' })
        .where(eq(trainingSessions.id, sessionId))
        .returning(),
    ),
  );
}

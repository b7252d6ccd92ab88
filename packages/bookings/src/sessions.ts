import type { DatabaseOrTransaction, TrainingSession } from '@gym/db';
import { idSchema, trainerAssignmentSchema, trainingSessions } from '@gym/db';
import { eq } from 'drizzle-orm';
import { BookingError, mappingErrors, parseInput } from './errors.js';

function found(sessionId: string, rows: TrainingSession[]): TrainingSession {
  if (!rows[0]) throw new BookingError('session_not_found', `training session ${sessionId} does not exist`);
  return rows[0];
}

/**
 * Gives a session a trainer, or takes it away (`null`). Throws invalid_input, session_not_found,
 * trainer_not_found (and, for a caller the policies do not let, not_allowed or session_not_found).
 */
export async function assignTrainer(
  db: DatabaseOrTransaction,
  sessionId: string,
  trainerId: string | null,
): Promise<TrainingSession> {
  parseInput(trainerAssignmentSchema, { sessionId, trainerId }, 'trainer assignment');
  return mappingErrors(async () =>
    found(
      sessionId,
      await db.update(trainingSessions).set({ trainerId }).where(eq(trainingSessions.id, sessionId)).returning(),
    ),
  );
}

/**
 * Marks a session cancelled; its bookings stay as they were, so who had booked stays on record. Cancelling
 * a cancelled session changes nothing. Throws invalid_input, session_not_found.
 */
export async function cancelSession(db: DatabaseOrTransaction, sessionId: string): Promise<TrainingSession> {
  parseInput(idSchema, sessionId, 'session id');
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

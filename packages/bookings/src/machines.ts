import type { DatabaseOrTransaction, Machine } from '@gym/db';
import { machines } from '@gym/db';
import { asc, eq } from 'drizzle-orm';
import { BookingError, mappingErrors } from './errors.js';

/** The studio's machines, by number. */
export function listMachines(db: DatabaseOrTransaction): Promise<Machine[]> {
  return db.select().from(machines).orderBy(asc(machines.machineNumber));
}

/**
 * Opens a machine for booking or closes it. Closing it refuses new bookings (machine_unavailable) and
 * leaves its booked sessions as they are. Throws machine_not_found.
 */
export function setMachineAvailability(
  db: DatabaseOrTransaction,
  machineId: string,
  isAvailable: boolean,
): Promise<Machine> {
  return mappingErrors(async () => {
    const [machine] = await db.update(machines).set({ isAvailable }).where(eq(machines.id, machineId)).returning();
    if (!machine) throw new BookingError('machine_not_found', `machine ${machineId} does not exist`);
    return machine;
  });
}

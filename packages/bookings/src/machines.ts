import type { DatabaseOrTransaction, Machine } from '@gym/db';
import { machineAvailabilitySchema, machines } from '@gym/db';
import { asc, eq } from 'drizzle-orm';
import { BookingError, mappingErrors, parseInput } from './errors.js';

/** The studio's machines, by number. */
export function listMachines(db: DatabaseOrTransaction): Promise<Machine[]> {
  return db.select().from(machines).orderBy(asc(machines.machineNumber));
}

/**
 * Opens a machine for booking or closes it. Closing it refuses new bookings (machine_unavailable) and
 * leaves its booked sessions as they are. Throws invalid_input, machine_not_found.
 */
export async function setMachineAvailability(
  db: DatabaseOrTransaction,
  machineId: string,
  isAvailable: boolean,
): Promise<Machine> {
  parseInput(machineAvailabilitySchema, { machineId, isAvailable }, 'machine availability');
  return mappingErrors(async () => {
    const [machine] = await db.update(machines).set({ isAvailable }).where(eq(machines.id, machineId)).returning();
    if (!machine) throw new BookingError('machine_not_found', `machine ${machineId} does not exist`);
    return machine;
  });
}

import { rollback } from '@gym/migrate';
import type { CommandContext } from './context.js';

/** `gym-migrate rollback`: the last applied migration, or every one after --to. */
export async function runRollback({ options }: CommandContext): Promise<void> {
  await rollback(options);
}

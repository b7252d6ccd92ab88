import { migrate } from '@gym/migrate';
import type { CommandContext } from './context.js';

/** `gym-migrate migrate`: every pending migration (up to --to; with --pre-deploy, the pre-deploy ones). */
export async function runMigrate({ options }: CommandContext): Promise<void> {
  await migrate(options);
}

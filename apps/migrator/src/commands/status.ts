import { status } from '@gym/migrate';
import { renderStatus } from '../render.js';
import type { CommandContext } from './context.js';

/** `gym-migrate status`: every migration with its state and phase, and the security check's findings. */
export async function runStatus({ options, output }: CommandContext): Promise<void> {
  renderStatus(await status(options), output);
}

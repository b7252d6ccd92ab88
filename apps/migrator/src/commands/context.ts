import type { EmbeddedServer } from '@gym/local-pg/embedded';
import type { RunOptions } from '@gym/migrate';
import type { Output } from '../render.js';

/** What every command gets from cli.ts: the run's options, where its lines go, and the local server if any. */
export interface CommandContext {
  options: RunOptions;
  output: Output;
  signal: AbortSignal;
  /** The embedded PostgreSQL, with --embedded and for start. */
  embedded: EmbeddedServer | undefined;
  /** start --seed. */
  seed: boolean;
  /** Called once start serves: from then on a signal is how it is meant to end, not an interruption. */
  serving(): void;
}

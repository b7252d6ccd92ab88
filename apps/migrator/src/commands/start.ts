import { serveUntilStopped } from '@gym/local-pg';
import { migrate } from '@gym/migrate';
import { renderDevServerEvent } from '../render.js';
import type { CommandContext } from './context.js';

/** `pnpm db:start`: the embedded server (started by cli.ts), migrated, optionally seeded, until Ctrl-C. */
export async function runStart({ options, output, signal, embedded, seed, serving }: CommandContext): Promise<void> {
  await migrate(options);
  serving();
  await serveUntilStopped({
    server: embedded!,
    database: 'gym',
    // Loaded only here: drizzle-seed and @gym/bookings are not needed by any other command.
    seed: seed ? async (url) => (await import('@gym/bookings/sample-week')).seedSampleWeek(url) : undefined,
    signal,
    report: (e) => output.write(renderDevServerEvent(e, output.json)),
  });
}

#!/usr/bin/env node
/**
 * gym-migrate: `pnpm db:migrate | db:rollback | db:status | db:start`. Reads the command line (options.ts),
 * sets up the output (render.ts), the signals and the local server, and runs one command (commands/). The
 * only module that chooses exit codes; everything else throws typed errors and emits events.
 */
import type { EmbeddedServer } from '@gym/local-pg/embedded';
import { ExitCode, redactUrl } from '@gym/migrate';
import { commandOf, parse, runOptions } from './args.js';
import type { CommandContext } from './commands/context.js';
import { runMigrate } from './commands/migrate.js';
import { runRollback } from './commands/rollback.js';
import { runStart } from './commands/start.js';
import { runStatus } from './commands/status.js';
import { startLocalServer } from './local-server.js';
import { type Command, usage } from './options.js';
import { createOutput, formatMs, renderError } from './render.js';

const run: Record<Command, (ctx: CommandContext) => Promise<void>> = {
  migrate: runMigrate,
  rollback: runRollback,
  status: runStatus,
  start: runStart,
};

async function main(argv: string[]): Promise<number> {
  const urlArg = argv.includes('--url') ? argv[argv.indexOf('--url') + 1] : undefined;
  const output = createOutput(argv.includes('--json'), urlArg ?? process.env.DATABASE_URL);
  const controller = new AbortController();
  let embedded: EmbeddedServer | undefined;
  let signals = 0;
  // `start` waiting for Ctrl-C: the signal is how it is meant to end, not an interruption.
  let serving = false;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) process.exit(ExitCode.interrupted);
    if (!serving) output.report({ event: 'interrupt', signal });
    controller.abort();
  };
  try {
    const { values, positionals } = parse(argv);
    output.json = !!values.json;
    if (values.help) {
      output.write(usage);
      return ExitCode.ok;
    }
    const command = commandOf(values, positionals);
    const url = values.url ?? process.env.DATABASE_URL;
    output.useUrl(url);
    const options = { ...runOptions(values), url, reporter: output.report, signal: controller.signal };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (values.embedded || command === 'start') {
      const local = await startLocalServer(output, command === 'start' ? { port: values.port } : undefined);
      embedded = local.server;
      options.url = local.url;
    }
    await run[command]({
      options,
      output,
      signal: controller.signal,
      embedded,
      seed: !!values.seed,
      serving: () => {
        serving = true;
      },
    });
    // Finished: a signal that came after the last statement changes nothing, so this is a success.
    return ExitCode.ok;
  } catch (err) {
    return renderError(err, output);
  } finally {
    await embedded?.stop().catch(() => {});
  }
}

const started = Date.now();
main(process.argv.slice(2)).then(
  (code) => {
    if (process.env.GYM_MIGRATOR_TIMING) process.stderr.write(`(${formatMs(Date.now() - started)})\n`);
    process.exit(code);
  },
  (err) => {
    process.stderr.write(`gym-migrate: error: ${redactUrl(String((err as Error)?.message ?? err))}\n`);
    process.exit(ExitCode.migrationFailed);
  },
);

#!/usr/bin/env node
/**
 * gym-generate: `pnpm db:generate --name <tag>`. The only module that prints and picks exit codes; the rest
 * returns plans and throws typed errors (errors.ts).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ExitCode, GenerateError, RefusedError, UsageError } from './errors.js';
import { plan, write } from './generate.js';
import { type GenerateEvent, planEvents, renderText } from './render.js';

const USAGE = `usage: gym-generate --name <tag> [options]
  --name <tag>               the migration's name: NNNN_<tag>.sql (and NNNN_<tag>_contract.sql when a post-deploy
                             step is needed), each with its rollback in rollback/ and its snapshot in meta/
  --config <file>            the drizzle-kit config (default: drizzle.config.ts in the current folder)
  --backfill <t>.<c>=<sql>   the value existing rows get in a new NOT NULL column without a constant default (or a
                             column made NOT NULL): a SQL expression over the row; repeatable
  --set <name>=<value>       a session setting for every batch and rollback (gym.preserve_updated_at=on); repeatable
  --not-renamed              a column or table gone beside a new one is not a rename: archive the old, add the new
  --dry-run                  print the plan (each statement drizzle-kit wrote, its steps, locks and phase); write nothing
  --json                     one JSON object per event on stdout
exit codes: 0 written (or nothing to do), 1 failed, 2 usage or config error, 3 refused (nothing written)`;

async function main(argv: string[]): Promise<number> {
  let json = argv.includes('--json');
  const emit = (e: GenerateEvent) => {
    if (json) process.stdout.write(`${JSON.stringify(e)}\n`);
    else {
      const lines = renderText(e);
      const stream = e.event === 'refused' || e.event === 'error' ? process.stderr : process.stdout;
      stream.write(`${lines.join('\n')}\n`);
    }
  };
  try {
    let values: Record<string, string | boolean | string[] | undefined>;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          name: { type: 'string' },
          config: { type: 'string' },
          backfill: { type: 'string', multiple: true },
          set: { type: 'string', multiple: true },
          'not-renamed': { type: 'boolean' },
          'dry-run': { type: 'boolean' },
          json: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      }));
    } catch (err) {
      throw new UsageError((err as Error).message.replace(/\.$/, ''), 'See gym-generate --help.');
    }
    json = !!values.json;
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return ExitCode.ok;
    }
    if (typeof values.name !== 'string' || !values.name) {
      throw new UsageError('--name is required', 'Name the migration: pnpm db:generate --name <tag>.');
    }
    const dryRun = !!values['dry-run'];
    const result = await plan({
      config: path.resolve((values.config as string | undefined) ?? 'drizzle.config.ts'),
      name: values.name,
      backfill: values.backfill as string[] | undefined,
      set: values.set as string[] | undefined,
      notRenamed: !!values['not-renamed'],
    });
    if (!result.files.length && !result.refusals.length) {
      emit({ event: 'nothing_to_do' });
      return ExitCode.ok;
    }
    for (const e of planEvents(result, dryRun)) {
      if (!dryRun && e.event === 'statement') continue;
      emit(e);
    }
    if (result.refusals.length) throw new RefusedError(result.refusals);
    if (dryRun) return ExitCode.ok;
    emit({ event: 'written', files: write(result).map((f) => path.relative(process.cwd(), f)) });
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof GenerateError) {
      emit({ event: 'error', kind: err.kind, message: err.message, hint: err.hint, exitCode: err.exitCode });
      return err.exitCode;
    }
    emit({
      event: 'error',
      kind: 'internal',
      message: String((err as Error)?.stack ?? err),
      hint: 'This is a bug in gym-generate; nothing was written',
      exitCode: ExitCode.failed,
    });
    return ExitCode.failed;
  }
}

process.exitCode = await main(process.argv.slice(2));

/**
 * pnpm bench:migrate [--mode rollout|integrity|generate] [options]
 *
 * The bench's one command: without --mode, the US-002 migration under live traffic (modes/us002.ts); with
 * --mode, the whole deploy (modes/rollout.ts, issue 9), the no-double-booking rule (modes/integrity.ts, issue 8)
 * or the safe-generate corpus (modes/generate.ts, issue 19). Each mode parses the rest of the arguments and
 * returns the exit code. A mode's module is loaded only when it runs, so one mode's imports cannot break
 * another. See bench/README.md.
 */

type Mode = (argv: string[]) => Promise<number>;

const MODES: Record<string, () => Promise<Mode>> = {
  rollout: async () => (await import('./modes/rollout')).runRollout,
  integrity: async () => (await import('./modes/integrity')).runIntegrity,
  generate: async () => (await import('./modes/generate')).runGenerate,
};

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const mode = argv.indexOf('--mode');
  if (mode < 0) {
    const { runUs002 } = await import('./modes/us002');
    return runUs002(argv);
  }
  const value = argv[mode + 1];
  const load = value !== undefined && Object.hasOwn(MODES, value) ? MODES[value] : undefined;
  if (!load) {
    process.stderr.write(
      `--mode takes "rollout" (the whole deploy, issue 9), "integrity" (issue 8) or "generate" (issue 19), not ${value}\n`,
    );
    return 2;
  }
  const run = await load();
  return run(argv.filter((_, i) => i !== mode && i !== mode + 1));
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);

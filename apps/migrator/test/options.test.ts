import { describe, expect, it } from 'vitest';
import { parse } from '../src/args.js';
import { parseOptions, usage } from '../src/options.js';

// One table makes both parseArgs's configuration and --help (the text itself is pinned, byte for byte, by
// @gym/db-tests' cli-contract golden file): no flag can be accepted without being documented, or the reverse.
describe('the options table', () => {
  const flags = Object.keys(parseOptions).filter((name) => name !== 'help');

  it('documents every flag that parseArgs accepts, each on a line of its own, in the table order', () => {
    const documented = [...usage.matchAll(/^ {2}--([a-z-]+)/gm)].map((m) => m[1]);
    expect(documented).toEqual(flags);
  });

  it('accepts every documented flag, and -h for --help', () => {
    for (const name of flags) {
      const args =
        parseOptions[name as keyof typeof parseOptions].type === 'string' ? [`--${name}`, 'x'] : [`--${name}`];
      expect(Object.keys(parse(['status', ...args]).values)).toEqual([name]);
    }
    expect(parse(['-h']).values).toEqual({ help: true });
    expect(() => parse(['status', '--no-such-flag'])).toThrow(/Unknown option '--no-such-flag'/);
  });

  it('lines the help text up in one column, and continues a long entry under it', () => {
    expect(usage).toContain(
      "  --pre-deploy             migrate: only the pre-deploy migrations, the deploy job's step before the rollout\n" +
        '                           (it stops at the first pending post-deploy one: that one and every migration\n',
    );
    expect(usage).toContain('  --connect-retry-for <dur> keep retrying an unreachable server this long (default 30s)');
    expect(usage).toMatch(
      /^usage: gym-migrate <migrate\|rollback\|status\|start> \[options\]\n {2}start {20}start the/,
    );
  });
});

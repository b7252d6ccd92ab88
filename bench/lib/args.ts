import type { ContestantId } from './contestants';

export interface BenchArgs {
  rows: number;
  runs: number;
  contestants: ContestantId[];
  out: string | null;
  trainers: number;
  members: number;
  chunk: number;
  warmupMs: number;
  baselineMs: number;
  tailMs: number;
  sampleMs: number;
  readRate: number;
  insertRate: number;
  updateRate: number;
  slowMs: number;
  explain: boolean;
  explainRuns: number;
  reassign: boolean;
  keep: boolean;
  maxMigrationS: number;
  help: boolean;
}

export const USAGE = `pnpm bench:migrate [options]

Benchmarks the US-002 migration (0002) under live traffic: (a) the seed story's SQL in one transaction, the
way Drizzle's migrate() runs it, against (b) gym-db's migrator. Uses DATABASE_URL's server (databases
gym_bench_<n> are created and dropped through its "postgres" database), or an embedded PostgreSQL 15 when
DATABASE_URL is unset.

  --rows N             old sessions to load (default 1000000; 20k, 1M, 5M accepted)
  --runs N             runs per contestant (default 3); the summary is the median
  --contestants a,b    which contestants (default a,b)
  --out FILE           JSON result (default bench/results/migrate-<rows>-<timestamp>.json)
  --trainers N         trainers (default 50)
  --members N          members (default 5000)
  --baseline-ms N      probe window measured before the migration (default 5000)
  --warmup-ms N        probe warm-up before the baseline window, not measured (default 1000)
  --tail-ms N          probe keeps running after the migration (default 1000)
  --sample-ms N        pg_locks sampling interval (default 20)
  --rates R,I,U        probe reads/inserts/updates per second (default 30,10,10)
  --slow-ms N          list probe queries slower than this during the migration (default 50)
  --explain-runs N     runs per query for the median latencies after (b) (default 200)
  --no-explain         skip the EXPLAIN part after (b)
  --no-reassign        keep every old session on Machine 1 for the calendar query
  --keep               keep the gym_bench_<n> databases
  --max-migration-s N  cancel a contestant that runs longer than this (default 1800)
`;

/** A count as the modes take it: digits, underscores allowed, an optional k or M suffix (20k, 1M, 1_000_000). */
export function parseCount(raw: string, name: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(raw.replace(/_/g, ''));
  if (!m) throw new Error(`${name}: not a number: ${raw}`);
  const mult = m[2]?.toLowerCase() === 'k' ? 1e3 : m[2]?.toLowerCase() === 'm' ? 1e6 : 1;
  const n = Math.round(Number(m[1]) * mult);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}: out of range: ${raw}`);
  return n;
}

/**
 * Walks the command line of a mode: `--flag value` and `--flag=value` alike, a bare `--` (pnpm passes one)
 * ignored. `handle` gets each flag, a `value()` that takes the flag's value (or fails naming the flag), and
 * the argument as given.
 */
export function eachFlag(argv: string[], handle: (flag: string, value: () => string, raw: string) => void): void {
  const args = argv.filter((x) => x !== '--');
  for (let i = 0; i < args.length; i++) {
    const raw = args[i]!;
    const eq = raw.indexOf('=');
    const [flag, inline] = eq > 0 ? [raw.slice(0, eq), raw.slice(eq + 1)] : [raw, undefined];
    handle(
      flag,
      () => {
        const v = inline ?? args[++i];
        if (v === undefined) throw new Error(`${flag} needs a value`);
        return v;
      },
      raw,
    );
  }
}

export function parseArgs(argv: string[]): BenchArgs {
  const a: BenchArgs = {
    rows: 1_000_000,
    runs: 3,
    contestants: ['a', 'b'],
    out: null,
    trainers: 50,
    members: 5000,
    chunk: 500_000,
    warmupMs: 1000,
    baselineMs: 5000,
    tailMs: 1000,
    sampleMs: 20,
    readRate: 30,
    insertRate: 10,
    updateRate: 10,
    slowMs: 50,
    explain: true,
    explainRuns: 200,
    reassign: true,
    keep: false,
    maxMigrationS: 1800,
    help: false,
  };
  eachFlag(argv, (flag, value, raw) => {
    switch (flag) {
      case '--rows':
        a.rows = parseCount(value(), flag);
        break;
      case '--runs':
        a.runs = parseCount(value(), flag);
        break;
      case '--contestants': {
        const list = value()
          .split(',')
          .map((s) => s.trim().toLowerCase())
          .filter(Boolean);
        for (const c of list)
          if (c !== 'a' && c !== 'b') throw new Error(`--contestants: unknown contestant ${c} (a or b)`);
        a.contestants = [...new Set(list)] as ContestantId[];
        break;
      }
      case '--out':
        a.out = value();
        break;
      case '--trainers':
        a.trainers = parseCount(value(), flag);
        break;
      case '--members':
        a.members = parseCount(value(), flag);
        break;
      case '--chunk':
        a.chunk = parseCount(value(), flag);
        break;
      case '--warmup-ms':
        a.warmupMs = parseCount(value(), flag);
        break;
      case '--baseline-ms':
        a.baselineMs = parseCount(value(), flag);
        break;
      case '--tail-ms':
        a.tailMs = parseCount(value(), flag);
        break;
      case '--sample-ms':
        a.sampleMs = parseCount(value(), flag);
        break;
      case '--rates': {
        const [r, ins, u] = value()
          .split(',')
          .map((s) => Number(s));
        if (![r, ins, u].every((x) => typeof x === 'number' && x > 0 && x <= 1000))
          throw new Error('--rates: three rates per second, e.g. 30,10,10');
        [a.readRate, a.insertRate, a.updateRate] = [r!, ins!, u!];
        break;
      }
      case '--slow-ms':
        a.slowMs = parseCount(value(), flag);
        break;
      case '--explain-runs':
        a.explainRuns = parseCount(value(), flag);
        break;
      case '--no-explain':
        a.explain = false;
        break;
      case '--no-reassign':
        a.reassign = false;
        break;
      case '--keep':
        a.keep = true;
        break;
      case '--max-migration-s':
        a.maxMigrationS = parseCount(value(), flag);
        break;
      case '-h':
      case '--help':
        a.help = true;
        break;
      default:
        throw new Error(`unknown option ${raw}`);
    }
  });
  if (a.rows < 1) throw new Error('--rows must be at least 1');
  if (a.runs < 1 || a.runs > 50) throw new Error('--runs must be between 1 and 50');
  if (a.contestants.length === 0) throw new Error('--contestants: none given');
  if (a.trainers < 1 || a.members < 1) throw new Error('--trainers and --members must be at least 1');
  if (a.chunk < 1) throw new Error('--chunk must be at least 1');
  if (a.sampleMs < 5) throw new Error('--sample-ms must be at least 5');
  if (a.explainRuns < 1 || a.explainRuns > 100_000) throw new Error('--explain-runs must be between 1 and 100000');
  return a;
}

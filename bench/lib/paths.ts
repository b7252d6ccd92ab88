import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The bench folder, whichever file asks: the modes live one level below it, and their results beside them. */
export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where a mode writes its JSON when --out is not given (git-ignored except .gitkeep). */
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');

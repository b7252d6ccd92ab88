// Issue 19's corpus, first half: indexes, foreign keys, CHECKs, UNIQUE, and new columns (with a constant
// default, a volatile one, or none and --backfill). The cases (harness/corpus-cases.ts) run on a copy of the
// schema and migrations, never on packages/db's own (harness/corpus.ts).
import { CORPUS_CASES_A } from './harness/corpus-cases';
import { describeCorpus } from './harness/corpus-suite';

describeCorpus('indexes, constraints, new columns', CORPUS_CASES_A);

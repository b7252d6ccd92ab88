// Issue 19's corpus, first half: indexes, foreign keys, CHECKs, UNIQUE, and new columns (with a constant
// default, a volatile one, or none and --backfill). The cases (@gym/testing/corpus-cases.ts) run on a copy of the
// schema and migrations, never on packages/db's own (@gym/testing/corpus.ts).
import { CORPUS_CASES_A } from '@gym/testing/corpus-cases';
import { describeCorpus } from '@gym/testing/corpus-suite';

describeCorpus('indexes, constraints, new columns', CORPUS_CASES_A);

// Issue 19's corpus, second half: NOT NULL on an existing column, drops (a column, a table), a type change
// that needs no rewrite, a new enum value, a new table, the probe mixed with more, and each refusal
// (@gym/testing/corpus-cases.ts).
import { CORPUS_CASES_B, CORPUS_REFUSALS } from '@gym/testing/corpus-cases';
import { describeCorpus } from '@gym/testing/corpus-suite';

describeCorpus('NOT NULL, drops, types, enums, tables, a mix', CORPUS_CASES_B, CORPUS_REFUSALS);

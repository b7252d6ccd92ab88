// Turns the vitest JSON reports of one `pnpm test` into one plain closing line,
// "<label>: N passed, N failed, N skipped", and exits 1 when the run is not clean: a failed test, a test
// file or hook that failed (its tests then count as skipped, not failed), a missing or empty report, or a
// skipped test that the allowlist does not expect on this PostgreSQL major. What it finds goes to stderr.
// Usage: node .ci/summary.mjs pg<major> <report.json>...
//        node .ci/summary.mjs <label> <report-pg<major>.json>...   (a run over several majors, as the container
//        step's: each report's major is read from its name)
//        node .ci/summary.mjs --list        (prints the allowlist: the skips CI expects, with their reasons)
// The allowlist is .ci/expected-skips.tsv (GYM_EXPECTED_SKIPS names another file).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const allowlistFile = process.env.GYM_EXPECTED_SKIPS ?? path.join(repoRoot, '.ci/expected-skips.tsv');

/** Lines "file<TAB>suite > test<TAB>majors<TAB>reason"; majors is "*" or a comma-separated list. */
function readAllowlist() {
  const entries = [];
  fs.readFileSync(allowlistFile, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim() || line.startsWith('#')) return;
      const [file, test, majors, reason] = line.split('\t');
      if (!file || !test || !majors || !reason?.trim()) {
        console.error(`${allowlistFile}:${i + 1}: expected 4 tab-separated fields (file, test, majors, reason)`);
        process.exit(2);
      }
      entries.push({ id: `${file} > ${test}`, majors: majors.split(',').map((m) => m.trim()), reason: reason.trim() });
    });
  return entries;
}

const allowlist = readAllowlist();
if (process.argv[2] === '--list') {
  if (allowlist.length === 0) console.log('expected skips: none (any skipped test fails the run)');
  for (const e of allowlist) console.log(`expected skip on pg ${e.majors.join(',')}: ${e.id} (${e.reason})`);
  process.exit(0);
}

const [label, ...files] = process.argv.slice(2);
const labelMajor = /^pg(\d+)$/.exec(label ?? '')?.[1];
/** The PostgreSQL major a report is of: the label's, or the report file's name's (...-pg17.json). */
const majorOf = (file) => labelMajor ?? /-pg(\d+)\.json$/.exec(file)?.[1];
if (!label || files.length === 0 || files.some((f) => !majorOf(f))) {
  console.error('usage: node .ci/summary.mjs pg<major> <report.json>... | <label> <report-pg<major>.json>...');
  process.exit(2);
}
const expectedOn = (major) => allowlist.filter((e) => e.majors.includes('*') || e.majors.includes(major));
const expected = [...new Set(files.flatMap((f) => expectedOn(majorOf(f))))];

let passed = 0;
let failed = 0;
let skipped = 0;
let unexpected = 0;
const seenExpected = new Set();
for (const file of files) {
  if (!fs.existsSync(file)) {
    failed++;
    console.error(`${label}: ${file}: no test report was written`);
    continue;
  }
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!report.numTotalTests) {
    failed++;
    console.error(`${label}: ${file}: the report has no test`);
  }
  for (const t of report.testResults ?? []) {
    const testFile = path.relative(repoRoot, t.name);
    const results = t.assertionResults ?? [];
    // A file that failed to load, or whose hooks failed, has no failed test of its own: count it.
    if (t.status === 'failed' && !results.some((a) => a.status === 'failed')) {
      failed++;
      console.error(
        `${label}: failed: ${testFile} (${(t.message || 'a hook or the file itself failed').split('\n')[0]})`,
      );
    }
    for (const a of results) {
      const id = [testFile, ...a.ancestorTitles, a.title].join(' > ');
      if (a.status === 'passed') passed++;
      else if (a.status === 'failed') {
        failed++;
        // The assertion's first line: a CI log that keeps only its tail still says what went wrong.
        const why = stripVTControlCharacters((a.failureMessages?.[0] ?? '').split('\n')[0]).slice(0, 300);
        console.error(`${label}: failed: ${id}${why ? ` (${why})` : ''}`);
      } else {
        skipped++;
        const allowed = expectedOn(majorOf(file)).find((e) => e.id === id);
        if (allowed) {
          seenExpected.add(allowed);
          console.error(`${label}: expected skip: ${id} (${allowed.reason})`);
        } else {
          unexpected++;
          console.error(`${label}: UNEXPECTED skip: ${id} (not in ${path.relative(repoRoot, allowlistFile)})`);
        }
      }
    }
  }
}
for (const e of expected) {
  if (!seenExpected.has(e)) console.error(`${label}: note: the allowlist expects ${e.id} to skip, and it did not`);
}
if (unexpected) console.error(`${label}: ${unexpected} skipped test(s) that CI does not expect`);
console.log(`${label}: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed || unexpected ? 1 : 0);

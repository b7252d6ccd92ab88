#!/usr/bin/env bash
# Breaks the gates on purpose and expects each to go red for the reason it planted (issues 13 and 17), not
# merely to exit non-zero (a broken pnpm would do that too):
# - typecheck: pnpm typecheck must be green twice, the second time with every turbo task replayed from the
#   cache (required: the point is that turbo's cache cannot hide a break); then a renamed export of @gym/db
#   must fail it with a type error naming the old export;
# - tests: in every package that has tests, a planted failing test must fail `pnpm test` (turbo run test,
#   filtered to that package and file) with that test's name and "1 failed" in the output. Not `pnpm turbo`:
#   pnpm exec puts a relative ./node_modules/.bin first on PATH, and turbo then fails to spawn any task
#   outside the root ("No such file or directory"), which an exit-code-only gate took for a red test.
# Runs in the CI checkout and puts every file back, whatever happens.
set -uo pipefail
cd "$(dirname "$0")/.."
export COREPACK_INTEGRITY_KEYS=0

red_test='gate: a test planted to fail'
# package, and where its vitest config picks up a test file
packages=(
  '@gym/migrator apps/migrator/test'
  '@gym/migrate packages/migrate/test'
  '@gym/local-pg packages/local-pg/test'
  '@gym/db-tests packages/db-tests/src'
  '@gym/bookings packages/bookings/test'
)
planted_file=zz-gate-red.test.ts
log="$(mktemp)"
restore() {
  git checkout -q -- packages/db/src
  for p in "${packages[@]}"; do rm -f "${p#* }/$planted_file"; done
  rm -f "$log"
}
trap restore EXIT
failed=0
# The output without colours, for grep.
plain() { sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$log"; }
# Whether the output has a line matching (grep -E) the pattern. Not `plain | grep -q`: grep -q stops at the
# first match, sed then dies of SIGPIPE on its next write, and pipefail turns the match into a failure
# (one run in five, once the match sits in the first 4 KiB of a longer output).
has() { grep -Eq -- "$1" <(plain); }
fail() {
  echo "gates: FAILED: $*"
  echo "--- the last lines of its output:"
  plain | tail -n 25
  failed=1
}

# Typecheck: a green run, then a cached green run, then the planted break.
if ! pnpm typecheck >"$log" 2>&1; then
  fail "pnpm typecheck is not green to begin with"
elif ! pnpm typecheck >"$log" 2>&1; then
  fail "pnpm typecheck is not green the second time"
elif ! has '^Cached: +([0-9]+) cached, \1 total'; then
  fail "the second pnpm typecheck did not replay every turbo task from the cache; the typecheck gate needs a cached green run"
else
  sed -i 's/export function createDb(/export function createDatabase(/' packages/db/src/client.ts
  sed -i 's/export { createDb,/export { createDatabase,/' packages/db/src/index.ts
  if pnpm typecheck >"$log" 2>&1; then
    fail "renaming createDb in @gym/db left pnpm typecheck green"
  elif ! has "error TS[0-9]+: .*'createDb'"; then
    fail "pnpm typecheck failed, but with no type error naming createDb (the planted break)"
  else
    echo "gates: ok: after a cached green run, a renamed @gym/db export fails pnpm typecheck: $(plain | grep -Em1 "error TS[0-9]+: .*'createDb'" | sed 's/^.*: error/error/')"
  fi
  git checkout -q -- packages/db/src
fi

# Tests: one planted failure per package, through the README's pnpm test (only that package and file).
for p in "${packages[@]}"; do
  pkg="${p%% *}"
  file="${p#* }/$planted_file"
  printf "import { expect, it } from 'vitest';\n\nit('%s', () => {\n  expect(1).toBe(2);\n});\n" "$red_test" >"$file"
  if pnpm test --filter="$pkg" -- "$planted_file" >"$log" 2>&1; then
    fail "a failing test in $pkg left pnpm test green"
  elif ! has "$red_test" || ! has 'Tests +1 failed'; then
    fail "pnpm test --filter=$pkg failed, but not for the planted test (no \"$red_test\" and \"Tests 1 failed\")"
  else
    echo "gates: ok: a failing test fails pnpm test in $pkg ($(plain | grep -Eom1 'Tests +1 failed'))"
  fi
  rm -f "$file"
done
exit $failed

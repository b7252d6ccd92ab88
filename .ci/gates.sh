#!/usr/bin/env bash
# Breaks the gates on purpose and expects them to go red (issue 13): a renamed export of @gym/db must fail
# `pnpm typecheck` right after a green, cached run, and a failing test must fail `pnpm turbo run test`.
# Runs in the CI checkout and puts every file back, whatever happens.
set -uo pipefail
cd "$(dirname "$0")/.."
export COREPACK_INTEGRITY_KEYS=0

restore() {
  git checkout -q -- packages/db/src
  rm -f apps/migrator/test/zz-gate-red.test.ts
}
trap restore EXIT
failed=0

pnpm typecheck >/dev/null 2>&1 || { echo "gates: pnpm typecheck is not green to begin with"; exit 1; }
pnpm typecheck 2>&1 | grep -q 'cached' || echo "gates: note: the second typecheck replayed no cache"
sed -i 's/export function createDb(/export function createDatabase(/' packages/db/src/client.ts
sed -i 's/export { createDb,/export { createDatabase,/' packages/db/src/index.ts
if pnpm typecheck >/dev/null 2>&1; then
  echo "gates: FAILED: renaming createDb in @gym/db left pnpm typecheck green"
  failed=1
else
  echo "gates: ok: a renamed @gym/db export fails pnpm typecheck after a cached green run"
fi
git checkout -q -- packages/db/src

printf "import { expect, it } from 'vitest';\nit('fails on purpose', () => expect(1).toBe(2));\n" > apps/migrator/test/zz-gate-red.test.ts
if pnpm turbo run test --filter=@gym/migrator >/dev/null 2>&1; then
  echo "gates: FAILED: a failing test left pnpm turbo run test green"
  failed=1
else
  echo "gates: ok: a failing test fails pnpm turbo run test"
fi
exit $failed

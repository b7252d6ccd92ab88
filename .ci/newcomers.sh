#!/usr/bin/env bash
# Proves the README's two commands, read from its own "Two commands" code block, on a fresh clone of the
# current commit, then every command the docs mark <!-- newcomers: run -->, as the two newcomers the README
# promises them to: (a) a normal user created here, clone in that user's private home (mode 700), Node as
# installed system-wide; (b) root, clone in a private temp folder (mode 700). Each must exit 0 with every
# test passing. Runs as root (CI does); safe to run again.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
# Somewhere every user may stand: the new user cannot enter this checkout if it is private.
cd /
newcomer="${GYM_NEWCOMER_USER:-gym-newcomer}"
say() { printf '\n==> %s\n' "$*"; }

[ "$(id -u)" -eq 0 ] || { echo "newcomers.sh: run it as root (it creates a user)" >&2; exit 2; }

# The first ```sh block after "## Two commands": exactly two commands, one per line.
mapfile -t commands < <(awk '
  /^## Two commands/ { section = 1; next }
  section && /^## / { exit }
  section && !inside && /^```sh/ { inside = 1; next }
  inside && /^```/ { exit }
  inside && NF { print }
' "$repo/README.md")
if [ "${#commands[@]}" -ne 2 ]; then
  echo "newcomers.sh: README.md's \"Two commands\" block has ${#commands[@]} commands, not 2" >&2
  exit 1
fi
say "README commands:"
printf '    %s\n' "${commands[@]}"

# Then every command of the docs' blocks marked <!-- newcomers: run --> (tooling/docs/shell-blocks.mjs), as
# "<file>:<line><TAB><command>"; the docs check of `pnpm lint` makes every other block say why it is skipped.
mapfile -t documented < <(node "$repo/tooling/docs/shell-blocks.mjs" --run)
say "Commands the docs mark to run (${#documented[@]}):"
printf '    %s\n' "${documented[@]}"

# For working on this script only: GYM_NEWCOMERS_SKIP_TEST=1 leaves out the second command (the whole test
# run, minutes). CI never sets it.
skip_test="${GYM_NEWCOMERS_SKIP_TEST:-}"
[ -z "$skip_test" ] || say "GYM_NEWCOMERS_SKIP_TEST is set: the second command (${commands[1]}) is NOT run"

# A bundle of HEAD: a clone needs no access to this checkout's .git (which a new user may not read).
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
git -C "$repo" bundle create "$work/head.bundle" HEAD 2>/dev/null
commit="$(git -C "$repo" rev-parse --short HEAD)"

# The two commands verbatim, in one shell as a newcomer pastes them into a terminal; stops at the first
# that fails. Then the docs' commands in the same clone.
{
  echo 'echo "--> $(id -un) in $PWD, node $(node -v)"'
  for i in 0 1; do
    if [ "$i" -eq 1 ] && [ -n "$skip_test" ]; then continue; fi
    printf 'echo %q\n' "--> ${commands[$i]}"
    printf '%s\n' "${commands[$i]}"
    printf 'status=$?; [ $status -eq 0 ] || { echo "README command %d failed (exit $status)" >&2; exit $status; }\n' $((i + 1))
  done
  # The docs' commands: each runs even when one before it failed, so that one run names every failure.
  echo 'failed=0; docs_start=$SECONDS'
  for entry in "${documented[@]}"; do
    where="${entry%%$'\t'*}"
    command="${entry#*$'\t'}"
    printf 'echo %q; start=$SECONDS\n' "--> $command   ($where)"
    printf '(\n%s\n)\n' "$command" # on its own line: a trailing "# comment" must not swallow the ")"
    printf 'status=$?; echo "    exit $status in $((SECONDS - start))s"\n'
    printf '[ $status -eq 0 ] || { echo %q >&2; failed=$((failed + 1)); }\n' \
      "docs command failed: $command   ($where)"
  done
  printf 'echo "--> %d docs commands in $((SECONDS - docs_start))s, $failed failed"\n' "${#documented[@]}"
  echo '[ $failed -eq 0 ]'
} >"$work/readme-commands.sh"
chmod 644 "$work/head.bundle" "$work/readme-commands.sh"

# What a fresh login has: none of this shell's variables (TEST_DATABASE_URL, GYM_*, ...), but the machine's
# own way to the registry (its CA bundle, a proxy) where it has one; CI as given.
fresh_login=(env -i SHELL=/bin/bash LANG=C.UTF-8 TERM=dumb "CI=${CI:-true}"
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
for var in NODE_EXTRA_CA_CERTS SSL_CERT_FILE SSL_CERT_DIR http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
  if [ -n "${!var:-}" ]; then fresh_login+=("$var=${!var}"); fi
done

# turbo runs each package's script with whatever `pnpm` is on PATH; on a machine where nobody ran
# `corepack enable` there is none, so the root devDependency pnpm (in node_modules/.bin, which pnpm puts on
# its scripts' PATH) must be the version that package.json pins for corepack.
pinned="$(node -p "require('$repo/package.json').packageManager.replace(/^pnpm@/, '')")"
devdep="$(node -p "require('$repo/package.json').devDependencies.pnpm")"
if [ "$pinned" != "$devdep" ]; then
  echo "newcomers.sh: package.json pins pnpm@$pinned (packageManager) but has pnpm $devdep in devDependencies" >&2
  exit 1
fi

# This machine's Node may have had `corepack enable` run by root (CI's .ci/run does), which puts a pnpm in
# /usr/bin that a newcomer's machine does not have. The normal user's PATH hides it, as on such a machine.
mkdir -p "$work/no-pnpm"
for shim in pnpm pnpx; do
  printf '#!/bin/sh\necho "%s: command not found" >&2\nexit 127\n' "$shim" >"$work/no-pnpm/$shim"
done
chmod 755 "$work/no-pnpm" "$work/no-pnpm/"*

status=0

# (a) A normal user, clone in a private home.
say "(a) normal user $newcomer, clone of $commit in its home (mode 700)"
id -u "$newcomer" >/dev/null 2>&1 || useradd -m -s /bin/bash "$newcomer"
home="$(getent passwd "$newcomer" | cut -d: -f6)"
mkdir -p "$home" && chown "$newcomer:" "$home" && chmod 700 "$home"
runuser -u "$newcomer" -- rm -rf "$home/gym-db"
runuser -u "$newcomer" -- git -c advice.detachedHead=false clone -q "$work/head.bundle" "$home/gym-db"
if (cd / && runuser -u "$newcomer" -- "${fresh_login[@]}" HOME="$home" USER="$newcomer" LOGNAME="$newcomer" \
  bash -lc "export PATH='$work/no-pnpm':\$PATH; cd ~/gym-db && bash '$work/readme-commands.sh'"); then
  say "(a) passed"
  runuser -u "$newcomer" -- rm -rf "$home/gym-db"
else
  status=1
  say "(a) FAILED; the clone is left in $home/gym-db"
fi

# (b) Root, clone in a private temp folder.
private="$(mktemp -d)"
chmod 700 "$private"
say "(b) root, clone of $commit in $private (mode 700)"
git -c advice.detachedHead=false clone -q "$work/head.bundle" "$private/gym-db"
if (cd / && "${fresh_login[@]}" HOME="$HOME" USER=root LOGNAME=root \
  bash -lc "cd '$private/gym-db' && bash '$work/readme-commands.sh'"); then
  say "(b) passed"
  # The cluster lives in the temp folder (README, "Two commands"); the binary cache stays for next time.
  cluster="$(readlink -f "$private/gym-db/.data/embedded-pg" || true)"
  case "$cluster" in "$private"/*|"") ;; *) rm -rf "$(dirname "$cluster")" ;; esac
  rm -rf "$private"
else
  status=1
  say "(b) FAILED; the clone is left in $private/gym-db"
fi

exit $status

#!/usr/bin/env bash
# CI step (issue 20): the integration suites through testcontainers, the harness's second way to a server,
# which no other run here takes (no Docker engine, no image registry). As root, on this project's machines:
#   - installs podman, runc and debootstrap (Debian's packages) when missing;
#   - builds, or reuses, a PostgreSQL image per major from Debian's packages (tooling/postgres-image), tagged
#     postgres:<major>-alpine, the name the harness asks for by default, as a Docker user's would;
#   - serves podman's Docker-compatible API on a private socket, and answers podman's health checks, which
#     podman 4.3 runs through systemd timers (there is no systemd here);
#   - runs the db-tests and bookings suites with TEST_DATABASE_URL unset and GYM_TEST_SERVER=testcontainers
#     (no fall-back to the embedded server), and checks in their output that every global setup got its
#     server from a container that podman started;
#   - stops everything it started, by process id: the API service, the health-check loop, podman's conmon
#     processes, and any container left running.
# Prints "testcontainers: N passed, N failed" last, and exits non-zero if a suite failed, fell back, or the
# step itself could not run. GYM_CONTAINER_MAJORS picks the majors (default "15 17 18").
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
# A CI step: the suites write their JSON reports, and the harness checks each server's major.
export CI=true
majors="${GYM_CONTAINER_MAJORS:-15 17 18}"

fail() {
  echo "containers: $*" >&2
  echo "testcontainers: 0 passed, 1 failed"
  exit 1
}
[ "$(id -u)" = 0 ] || fail "this step runs podman as root (CI runs as root); run it as root"

missing=()
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
  echo "containers: installing ${missing[*]}"
  apt-get update -qq || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || fail "could not install ${missing[*]}"
fi

# podman's settings for this machine, and a storage of the step's own that keeps the images between runs.
export CONTAINERS_CONF="$root/.ci/containers/containers.conf"
export CONTAINERS_STORAGE_CONF="$root/.ci/containers/storage.conf"
graphroot="$(sed -n 's/^graphroot = "\(.*\)"/\1/p' "$CONTAINERS_STORAGE_CONF")"

state="$(mktemp -d /tmp/gym-db-containers.XXXXXX)"
service_pid=
health_pid=

# Every process the step leaves: podman keeps a conmon per container and per exec (each health check,
# each port check) for minutes after it ends. They are found by the storage path in their arguments,
# which only this step's podman uses, and stopped by process id.
conmon_pids() {
  local p
  for p in /proc/[0-9]*; do
    { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q "^/usr/bin/conmon .*$graphroot" && echo "${p#/proc/}"
  done
  return 0
}
cleanup() {
  set +e
  [ -n "$health_pid" ] && kill "$health_pid" 2>/dev/null && wait "$health_pid" 2>/dev/null
  podman rm --force --all --time 0 >/dev/null 2>&1
  [ -n "$service_pid" ] && kill "$service_pid" 2>/dev/null && wait "$service_pid" 2>/dev/null
  local pids
  pids="$(conmon_pids)"
  # shellcheck disable=SC2086 # a list of process ids
  [ -n "$pids" ] && kill $pids 2>/dev/null
  rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

started=$SECONDS
# The images build side by side: a cold build is mostly downloading and unpacking Debian packages.
build_pids=()
for major in $majors; do
  bash tooling/postgres-image/build.sh "$major" "docker.io/library/postgres:$major-alpine" >"$state/build-$major.log" 2>&1 &
  build_pids+=($!)
done
i=0
unbuilt=()
for major in $majors; do
  wait "${build_pids[$i]}" || unbuilt+=("$major")
  i=$((i + 1))
  cat "$state/build-$major.log"
done
((${#unbuilt[@]} == 0)) || fail "could not build the PostgreSQL image for ${unbuilt[*]} (log above)"
echo "containers: images ready in $((SECONDS - started)) s"

podman system service --time=0 "unix://$state/podman.sock" >"$state/service.log" 2>&1 &
service_pid=$!
for _ in $(seq 100); do
  [ "$(curl -s --unix-socket "$state/podman.sock" http://podman/_ping 2>/dev/null)" = OK ] && break
  kill -0 "$service_pid" 2>/dev/null || { cat "$state/service.log" >&2; fail "podman's API service exited"; }
  sleep 0.1
done
[ "$(curl -s --unix-socket "$state/podman.sock" http://podman/_ping)" = OK ] || fail "podman's API service does not answer"

# @testcontainers/postgresql waits, as for Docker, until the container's health check (pg_isready over TCP,
# every 250 ms) reports healthy. podman 4.3 would run it from a systemd timer; here a loop runs it instead,
# as often, on every container still starting.
(
  while :; do
    for id in $(podman ps --quiet --filter health=starting 2>/dev/null); do
      podman healthcheck run "$id" >/dev/null 2>&1 || true
    done
    sleep 0.25
  done
) >/dev/null 2>&1 &
health_pid=$!

status=0
unproven=0
reports=()
since="$(date --iso-8601=seconds)"
first=1
for major in $majors; do
  # Both suites on the first major (15, the default a Docker user gets); on the others, the bookings suite:
  # a container of that major's image serves a migrated template and a feature package's tests, within
  # the step's budget (the pgNN runs prove every suite on each major already). GYM_CONTAINER_SUITES=all
  # runs both everywhere. The generator's corpus (db:generate under an app's traffic, ~5 minutes) is left out
  # here: it proves the generator, which every pgNN run does, not the way to the server.
  if [ -n "$first" ] || [ "${GYM_CONTAINER_SUITES:-}" = all ]; then suites=(db-tests bookings); else suites=(bookings); fi
  first=
  echo "=== ${suites[*]} through testcontainers, PostgreSQL $major"
  log="$state/pg$major.log"
  rm -f packages/db-tests/test-results.json packages/bookings/test-results.json
  # Ryuk (testcontainers' reaper) is an image no registry here serves; this step removes what it started.
  # This machine has /.dockerenv, so testcontainers would take it for a container and look for the
  # host's gateway: the containers' ports are published on the machine itself.
  env -u TEST_DATABASE_URL \
    DOCKER_HOST="unix://$state/podman.sock" \
    TESTCONTAINERS_RYUK_DISABLED=true \
    TESTCONTAINERS_HOST_OVERRIDE=localhost \
    GYM_TEST_SERVER=testcontainers \
    GYM_PG_VERSION="$major" \
    GYM_EXCLUDE_SUITES='src/generate/**' \
    npx --no-install turbo run test "${suites[@]/#/--filter=@gym/}" 2>&1 | tee "$log" || status=1
  for suite in "${suites[@]}"; do
    report="packages/$suite/test-results.json"
    [ -f "$report" ] && cp "$report" "$state/$suite-pg$major.json"
    reports+=("$state/$suite-pg$major.json")
  done
  # Proof that containers served the run: each suite's global setup names its server; every one must be a
  # container of this major's image, and podman must have started each one.
  servers="$(grep -o '\[gym-testing\] server: [^;]*' "$log" | sort -u || true)"
  if [ "$(grep -c 'server: ' <<<"$servers")" != "${#suites[@]}" ] ||
    grep -v "server: testcontainers (postgres:$major-alpine, container [0-9a-f]*), PostgreSQL $major\." <<<"$servers"; then
    echo "containers: FAILED: PostgreSQL $major: the servers of ${suites[*]} were not ${#suites[@]} containers of postgres:$major-alpine:" >&2
    echo "${servers:-(no server line)}" >&2
    unproven=1
  fi
  for id in $(grep -o 'container [0-9a-f]*' <<<"$servers" | cut -d' ' -f2); do
    podman events --stream=false --since "$since" --filter event=start --filter "container=$id" --format '{{.ID}}' |
      grep -q "^$id" || { echo "containers: FAILED: podman never started container $id" >&2; unproven=1; }
  done
  echo "$servers"
done
echo "containers: the step took $((SECONDS - started)) s"
if [ "$unproven" = 1 ]; then
  # Tests that passed on another server say nothing about the container path.
  node .ci/summary.mjs "not through containers" "${reports[@]}" || true
  echo "testcontainers: 0 passed, 1 failed"
  exit 1
fi
node .ci/summary.mjs testcontainers "${reports[@]}" || status=1
exit $status

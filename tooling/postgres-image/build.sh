#!/usr/bin/env bash
# Builds a PostgreSQL server image from Debian's packages, for testcontainers where no image registry can
# be reached (this project's machines). Usage, as root, with podman and debootstrap installed:
#
#   tooling/postgres-image/build.sh <major> [tag...]
#
# <major> is 15 (Debian 12 "bookworm"), 17 (Debian 13 "trixie") or 18 (Debian "forky", testing). The image
# is always tagged localhost/gym-db/postgres:<major>, and also with every further tag given, e.g.
# postgres:15-alpine, the name the test harness asks for by default. It runs the entrypoint beside this
# script, which honours the official postgres image's environment contract.
#
# The Debian root filesystem (debootstrap plus the server package, ~3 minutes) is cached as a tarball in
# $GYM_IMAGE_CACHE (default /var/cache/gym-db/postgres-image), keyed by this script's content and the major,
# and the image is not rebuilt when podman already holds one built from the same tarball and entrypoint.
# The Debian mirror is $GYM_DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
major="${1:?usage: build.sh <major> [tag...]}"
shift
case "$major" in
  15) suite=bookworm; security=bookworm-security ;;
  17) suite=trixie; security=trixie-security ;;
  18) suite=forky; security= ;;
  *) echo "build.sh: no Debian suite ships PostgreSQL $major here (15, 17 or 18)" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "build.sh: debootstrap and chroot need root; run it as root" >&2; exit 2; }
for tool in podman debootstrap; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool is not installed (apt-get install -y podman runc debootstrap)" >&2; exit 2; }
done
mirror="${GYM_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
cache="${GYM_IMAGE_CACHE:-/var/cache/gym-db/postgres-image}"
mkdir -p "$cache"
key="$(cat "$0" <(echo "$major $suite $mirror") | sha256sum | cut -c1-16)"
rootfs_tar="$cache/rootfs-pg$major-$suite-$key.tar"
name="localhost/gym-db/postgres:$major"

if [ ! -s "$rootfs_tar" ]; then
  echo "build.sh: building the Debian $suite root filesystem with postgresql-$major (a few minutes, once)"
  work="$(mktemp -d /var/tmp/gym-db-rootfs.XXXXXX)"
  trap 'umount -l "$work/rootfs/proc" 2>/dev/null || true; rm -rf "$work"' EXIT
  # debootstrap 1.0.128 (Debian 12) has no script for forky yet; testing and unstable share sid's.
  script=/usr/share/debootstrap/scripts/$suite
  [ -e "$script" ] || script=/usr/share/debootstrap/scripts/sid
  debootstrap --variant=minbase --components=main "$suite" "$work/rootfs" "$mirror" "$script" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; echo "build.sh: debootstrap $suite failed (log above)" >&2; exit 1; }
  {
    echo "deb $mirror $suite main"
    if [ -n "$security" ]; then
      echo "deb $mirror $suite-updates main"
      echo "deb ${mirror%/debian}/debian-security $security main"
    fi
  } >"$work/rootfs/etc/apt/sources.list"
  # No service starts inside the chroot, and no cluster is created: the entrypoint runs initdb on first start.
  printf '#!/bin/sh\nexit 101\n' >"$work/rootfs/usr/sbin/policy-rc.d"
  chmod +x "$work/rootfs/usr/sbin/policy-rc.d"
  mkdir -p "$work/rootfs/etc/postgresql-common/createcluster.d"
  echo 'create_main_cluster = false' >"$work/rootfs/etc/postgresql-common/createcluster.d/no-main-cluster.conf"
  # A testing suite's Release file is valid for a week only, and the mirror this machine reaches may be an
  # older copy than its clock: accept an expired one there (its signature is still checked).
  apt_opts=
  [ -n "$security" ] || apt_opts="-o Acquire::Check-Valid-Until=false"
  mount -t proc proc "$work/rootfs/proc"
  chroot "$work/rootfs" /usr/bin/env DEBIAN_FRONTEND=noninteractive LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    sh -c "apt-get $apt_opts update -qq && apt-get $apt_opts install -y -qq --no-install-recommends postgresql-$major && apt-get clean" \
    >"$work/apt.log" 2>&1 ||
    { tail -20 "$work/apt.log" >&2; echo "build.sh: installing postgresql-$major from Debian $suite failed (log above)" >&2; exit 1; }
  umount "$work/rootfs/proc"
  chroot "$work/rootfs" dpkg-query -W -f '${Version}' "postgresql-$major" >"$work/version"
  rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/usr/share/doc/"* "$work/rootfs/usr/share/man/"* \
    "$work/rootfs/usr/sbin/policy-rc.d"
  mkdir -p "$work/rootfs/docker-entrypoint-initdb.d"
  tar -C "$work/rootfs" --numeric-owner -cf "$rootfs_tar.partial" .
  mv "$work/version" "$rootfs_tar.version"
  mv "$rootfs_tar.partial" "$rootfs_tar"
  # Tarballs of this major from an earlier version of this script are of no further use.
  find "$cache" -maxdepth 1 -name "rootfs-pg$major-*" ! -name "$(basename "$rootfs_tar")*" -delete
  rm -rf "$work"
  trap - EXIT
fi

# The image is rebuilt only when its inputs changed: this script (in $key), the rootfs tarball, the entrypoint.
rootfs_sha="$(cat "$rootfs_tar.sha256" 2>/dev/null || sha256sum "$rootfs_tar" | cut -c1-64 | tee "$rootfs_tar.sha256")"
inputs="$(echo "$key $rootfs_sha $(sha256sum "$here/docker-entrypoint.sh")" | sha256sum | cut -c1-16)"
# Where the official image keeps its cluster: from 18 on, in a folder named after the major.
pgdata=/var/lib/postgresql/data
[ "$major" -lt 18 ] || pgdata="/var/lib/postgresql/$major/docker"
base="localhost/gym-db/postgres-rootfs:$major"
replaced=()
if [ "$(podman image inspect --format '{{index .Labels "gym-db.inputs"}}' "$name" 2>/dev/null)" != "$inputs" ]; then
  # The images this build replaces, removed once nothing names them any more.
  for image in "$name" "$base"; do
    replaced+=("$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)")
  done
  podman import --quiet "$rootfs_tar" "$base" >/dev/null
  ctx="$(mktemp -d)"
  cp "$here/docker-entrypoint.sh" "$ctx/"
  cat >"$ctx/Containerfile" <<CONTAINERFILE
FROM $base
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PG_MAJOR=$major PATH=/usr/lib/postgresql/$major/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 PGDATA=$pgdata
LABEL gym-db.inputs=$inputs gym-db.debian-suite=$suite
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
CONTAINERFILE
  podman build --quiet --pull=never -t "$name" "$ctx" >/dev/null
  rm -rf "$ctx"
fi
for tag in "$@"; do podman tag "$name" "$tag"; done
for id in "${replaced[@]}"; do
  [ -z "$id" ] || podman rmi "$id" >/dev/null 2>&1 || true
done
echo "build.sh: $name: postgresql-$major $(cat "$rootfs_tar.version") from Debian $suite${*:+, tagged $*}"

#!/usr/bin/env bash
# Make sure a Docker engine answers and holds the offline base images the project needs.
#
#   bash scripts/engine.sh [--debian] [--dry-run] [--force] [--quiet] [--help]
#
# 1. If an engine answers (DOCKER_HOST, or the system socket /var/run/docker.sock), use it.
#    Otherwise, as root on Debian: install Debian's docker.io (apt-get update only when the
#    package lists lack it), start dockerd in the background (it outlives this script) with its
#    log in $CONTAINER_LINEAGE_CACHE/dockerd.log, and wait for /_ping. Anywhere else: say what
#    to install and exit 1.
# 2. No registry can be reached, so base images are made offline and imported:
#      busybox:latest   from Debian's busybox-static (seconds), label io.container-lineage.base=busybox
#      debian:bookworm  with --debian: debootstrap --variant=minbase (about a minute),
#                       label io.container-lineage.base=debian
#    An image that already carries its label is left alone (a second run changes nothing).
#
# Flags:
#   --debian    also make debian:bookworm (installs debootstrap when missing)
#   --dry-run   print what would be installed, started or imported; change nothing
#   --force     re-import the base images even when they exist (new image IDs)
#   --quiet     print only warnings, errors and the final summary
#
# Environment (all optional):
#   DOCKER_HOST                         engine to use; when set and not answering, nothing is started
#   CONTAINER_LINEAGE_CACHE             work folder (default $HOME/.cache/container-lineage)
#   CONTAINER_LINEAGE_DOCKER_SOCKET     socket to probe/start dockerd on (default /var/run/docker.sock)
#   CONTAINER_LINEAGE_DOCKERD_ARGS      extra dockerd arguments (e.g. a second engine's --data-root,
#                                       --exec-root; never `--bridge none` on a host where another
#                                       dockerd runs: that dockerd deletes the shared docker0 bridge)
#   CONTAINER_LINEAGE_BUSYBOX_IMAGE     tag of the busybox base (default busybox:latest)
#   CONTAINER_LINEAGE_DEBIAN_IMAGE      tag of the Debian base (default debian:bookworm)
#   CONTAINER_LINEAGE_DEBIAN_MIRROR     Debian mirror for debootstrap (default: from apt sources)
#   CONTAINER_LINEAGE_ENGINE_TIMEOUT    seconds to wait for /_ping after starting dockerd (default 60)
set -euo pipefail

WANT_DEBIAN=0
DRY_RUN=0
FORCE=0
QUIET=0

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
  case "$1" in
    --debian) WANT_DEBIAN=1 ;;
    --dry-run|-n) DRY_RUN=1 ;;
    --force) FORCE=1 ;;
    --quiet|-q) QUIET=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "engine.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

CACHE_DIR="${CONTAINER_LINEAGE_CACHE:-${HOME:-/root}/.cache/container-lineage}"
SOCKET="${CONTAINER_LINEAGE_DOCKER_SOCKET:-/var/run/docker.sock}"
BUSYBOX_IMAGE="${CONTAINER_LINEAGE_BUSYBOX_IMAGE:-busybox:latest}"
DEBIAN_IMAGE="${CONTAINER_LINEAGE_DEBIAN_IMAGE:-debian:bookworm}"
TIMEOUT="${CONTAINER_LINEAGE_ENGINE_TIMEOUT:-60}"
DOCKERD_LOG="$CACHE_DIR/dockerd.log"
LABEL_KEY="io.container-lineage.base"
# Bump when the way a base image is made changes: a labelled image with another recipe is re-made.
# Recipe 1: busybox rootfs with applet symlinks in /bin, /sbin, /usr/bin, /usr/sbin, /tmp 1777,
# root/daemon/nobody users; debian from debootstrap minbase without apt lists.
RECIPE_KEY="io.container-lineage.recipe"
RECIPE=1

log() { [ "$QUIET" = 1 ] || echo "engine: $*"; }
warn() { echo "engine: $*" >&2; }
die() { echo "engine: ERROR: $*" >&2; exit 1; }
# Run a command, or only show it with --dry-run.
act() {
  if [ "$DRY_RUN" = 1 ]; then echo "engine: [dry-run] would run: $*"; else "$@"; fi
}

is_root() { [ "$(id -u)" = 0 ]; }
is_debian() { [ -r /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; }

# The engine endpoint the docker CLI and the ping use.
if [ -n "${DOCKER_HOST:-}" ]; then
  ENDPOINT="$DOCKER_HOST"
  ENDPOINT_FROM="DOCKER_HOST"
else
  ENDPOINT="unix://$SOCKET"
  ENDPOINT_FROM="system socket"
  if [ "$SOCKET" != /var/run/docker.sock ]; then
    export DOCKER_HOST="$ENDPOINT"
    ENDPOINT_FROM="CONTAINER_LINEAGE_DOCKER_SOCKET"
  fi
fi

# True when GET /_ping on the endpoint answers "OK". Uses the docker CLI when present
# (it understands every DOCKER_HOST form, including ssh:// and TLS), else curl, else node.
ping_engine() {
  if command -v docker >/dev/null 2>&1; then
    docker version --format '{{.Server.APIVersion}}' >/dev/null 2>&1 && return 0
    return 1
  fi
  case "$ENDPOINT" in
    unix://*)
      local sock="${ENDPOINT#unix://}"
      [ -S "$sock" ] || return 1
      if command -v curl >/dev/null 2>&1; then
        [ "$(curl -s -m 3 --unix-socket "$sock" http://localhost/_ping 2>/dev/null)" = OK ]
      else
        node -e '
          const r = require("http").get({ socketPath: process.argv[1], path: "/_ping", timeout: 3000 }, (res) => {
            let b = ""; res.on("data", (d) => (b += d)); res.on("end", () => process.exit(b === "OK" ? 0 : 1));
          });
          r.on("error", () => process.exit(1)); r.on("timeout", () => process.exit(1));' "$sock" 2>/dev/null
      fi
      ;;
    tcp://*|http://*)
      local hp="${ENDPOINT#*://}"
      command -v curl >/dev/null 2>&1 && [ "$(curl -s -m 3 "http://${hp%/}/_ping" 2>/dev/null)" = OK ]
      ;;
    *) return 1 ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# Packages (root + Debian only)
# ---------------------------------------------------------------------------------------------
# shellcheck source=lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

# ---------------------------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------------------------
cgroups_mounted() {
  [ -e /sys/fs/cgroup/cgroup.controllers ] || grep -q ' cgroup ' /proc/mounts 2>/dev/null
}

start_dockerd() {
  apt_install docker.io
  if ! cgroups_mounted; then
    log "no cgroup file system mounted; mounting with cgroupfs-mount"
    apt_install cgroupfs-mount
    act cgroupfs-mount
  fi
  mkdir -p "$CACHE_DIR"
  local pidfile=/var/run/docker.pid args=()
  if [ "$SOCKET" != /var/run/docker.sock ]; then
    args+=(-H "unix://$SOCKET" --pidfile "${SOCKET%.sock}.pid")
    pidfile="${SOCKET%.sock}.pid"
  fi
  # shellcheck disable=SC2206  # word splitting of the extra arguments is intended
  [ -n "${CONTAINER_LINEAGE_DOCKERD_ARGS:-}" ] && args+=(${CONTAINER_LINEAGE_DOCKERD_ARGS})

  # A dockerd that is alive but not answering yet is still starting: wait for it, start no second one.
  local pid=""
  [ -r "$pidfile" ] && pid="$(cat "$pidfile" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
    log "dockerd (pid $pid) is running but not answering yet; waiting"
  else
    log "starting dockerd ${args[*]:-} (log: $DOCKERD_LOG)"
    if [ "$DRY_RUN" = 1 ]; then
      echo "engine: [dry-run] would run: setsid nohup dockerd ${args[*]:-} >>$DOCKERD_LOG 2>&1 &"
      return 0
    fi
    echo "=== $(date -u +%FT%TZ) engine.sh starting dockerd ${args[*]:-}" >>"$DOCKERD_LOG"
    # setsid + nohup: dockerd lives on in its own session after this script (and npm) exit;
    # 9>&- keeps the lock file descriptor out of it (else it would hold the lock forever).
    setsid nohup dockerd "${args[@]}" </dev/null >>"$DOCKERD_LOG" 2>&1 9>&- &
    pid=$!
  fi
  local waited=0
  until ping_engine; do
    if ! kill -0 "$pid" 2>/dev/null; then
      warn "dockerd exited before answering. Last lines of $DOCKERD_LOG:"
      tail -n 25 "$DOCKERD_LOG" >&2 || true
      exit 1
    fi
    if [ "$waited" -ge $((TIMEOUT * 2)) ]; then
      warn "dockerd (pid $pid) did not answer /_ping on $ENDPOINT within ${TIMEOUT}s. Last lines of $DOCKERD_LOG:"
      tail -n 25 "$DOCKERD_LOG" >&2 || true
      exit 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  log "dockerd (pid $pid) answers on $ENDPOINT"
}

ensure_engine() {
  if ping_engine; then
    log "engine answers at $ENDPOINT ($ENDPOINT_FROM)"
    return 0
  fi
  if [ "$ENDPOINT_FROM" = DOCKER_HOST ] && [ "$ENDPOINT" != "unix:///var/run/docker.sock" ] && [ "$ENDPOINT" != "unix://$SOCKET" ]; then
    die "DOCKER_HOST=$DOCKER_HOST does not answer. Start that engine, or unset DOCKER_HOST to let this script start a local one."
  fi
  if ! is_root || ! is_debian; then
    die "no container engine answers at $ENDPOINT. Install and start one, then rerun:
  - Debian/Ubuntu (as root): apt-get install docker.io busybox-static && dockerd &   (or rerun this script as root)
  - other systems: Docker Engine or Podman (with its Docker-compatible socket), or set DOCKER_HOST"
  fi
  if ! command -v docker >/dev/null 2>&1 || ! command -v dockerd >/dev/null 2>&1; then
    log "no engine answers at $ENDPOINT; installing Debian's docker.io"
  else
    log "no engine answers at $ENDPOINT"
  fi
  start_dockerd
}

# ---------------------------------------------------------------------------------------------
# Base images
# ---------------------------------------------------------------------------------------------
# Prints the label value of an image, empty when the image is absent or has no such label.
image_label() {
  docker image inspect --format "{{ index .Config.Labels \"$LABEL_KEY\" }}" "$1" 2>/dev/null || true
}
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# needs_import TAG KIND: 0 when TAG must be (re)created.
needs_import() {
  local tag="$1" kind="$2" label recipe
  [ "$FORCE" = 1 ] && return 0
  image_exists "$tag" || return 0
  label="$(image_label "$tag")"
  recipe="$(docker image inspect --format "{{ index .Config.Labels \"$RECIPE_KEY\" }}" "$tag" 2>/dev/null || true)"
  if [ "$label" != "$kind" ]; then
    warn "$tag exists without label $LABEL_KEY=$kind (not made by this script); left as is. Use --force to replace it."
    return 1
  fi
  if [ "$recipe" != "$RECIPE" ]; then
    # Made by hand or by an older version of this script: re-made (the old image stays for its children).
    log "$tag was made by recipe '${recipe:-none}', not $RECIPE; making it again"
    return 0
  fi
  log "$tag present ($LABEL_KEY=$kind, recipe $RECIPE); left as is"
  return 1
}

make_busybox() {
  needs_import "$BUSYBOX_IMAGE" busybox || return 0
  local bb=/bin/busybox
  if is_root && is_debian; then
    apt_install busybox-static
  elif ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'; then
    bb="$(command -v busybox || true)"
    if [ -z "$bb" ] || ! LC_ALL=C ldd "$bb" 2>&1 | grep -q 'not a dynamic executable'; then
      die "a static busybox is needed to make $BUSYBOX_IMAGE (Debian: apt-get install busybox-static)"
    fi
  fi
  local version
  version="$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || "$bb" | head -n1)"
  log "creating $BUSYBOX_IMAGE from busybox-static $version"
  if [ "$DRY_RUN" = 1 ]; then
    echo "engine: [dry-run] would import a busybox rootfs as $BUSYBOX_IMAGE"
    return 0
  fi
  local root
  mkdir -p "$CACHE_DIR"
  root="$(mktemp -d "$CACHE_DIR/busybox-rootfs.XXXXXX")"
  # shellcheck disable=SC2064  # expand now: the trap must remove this very folder
  trap "rm -rf '$root'" EXIT
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,home,tmp,var/tmp,var/log,proc,sys,dev,run}
  chmod 1777 "$root/tmp" "$root/var/tmp"
  chmod 700 "$root/root"
  cp "$bb" "$root/bin/busybox"
  local applet
  while IFS= read -r applet; do
    if [ -z "$applet" ] || [ "$applet" = bin/busybox ]; then continue; fi
    mkdir -p "$root/$(dirname "$applet")"
    ln -sf /bin/busybox "$root/$applet"
  done < <("$bb" --list-full)
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
nogroup:x:65534:
EOF
  printf 'root:*:19000:0:99999:7:::\n' >"$root/etc/shadow"
  chmod 640 "$root/etc/shadow"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  : >"$root/etc/hosts"; : >"$root/etc/resolv.conf"; : >"$root/etc/hostname"
  # Fixed mtimes and sorted, owner-less entries: the layer's diff ID depends only on busybox's version.
  tar --sort=name --mtime='2000-01-01 00:00Z' --owner=0 --group=0 --numeric-owner -C "$root" -cf - . |
    docker import \
      --change 'CMD ["/bin/sh"]' \
      --change "LABEL $LABEL_KEY=busybox" \
      --change "LABEL $RECIPE_KEY=$RECIPE" \
      --change "LABEL io.container-lineage.source=\"busybox-static $version\"" \
      --message "container-lineage: busybox base from Debian busybox-static $version" \
      - "$BUSYBOX_IMAGE" >/dev/null
  rm -rf "$root"
  trap - EXIT
  log "created $BUSYBOX_IMAGE"
}

# The first Debian (not security) mirror in the machine's apt sources, else deb.debian.org.
debian_mirror() {
  if [ -n "${CONTAINER_LINEAGE_DEBIAN_MIRROR:-}" ]; then echo "$CONTAINER_LINEAGE_DEBIAN_MIRROR"; return; fi
  local m=""
  # deb822 .sources files: "URIs: http://deb.debian.org/debian"
  m="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk 'tolower($1)=="uris:" {for (i=2;i<=NF;i++) print $i}' |
       grep -v -e security -e '^cdrom' | grep -m1 -i debian || true)"
  if [ -z "$m" ]; then
    # one-line format: "deb [opts] http://deb.debian.org/debian bookworm main"
    m="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | sed -e 's/\[[^]]*\]//' |
         awk '$1=="deb" {print $2}' | grep -v security | grep -m1 -i debian || true)"
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

make_debian() {
  needs_import "$DEBIAN_IMAGE" debian || return 0
  if ! command -v debootstrap >/dev/null 2>&1; then
    apt_install debootstrap
  fi
  is_root || die "debootstrap needs root to make $DEBIAN_IMAGE"
  local mirror root
  mirror="$(debian_mirror)"
  log "creating $DEBIAN_IMAGE with debootstrap --variant=minbase bookworm $mirror (about a minute)"
  if [ "$DRY_RUN" = 1 ]; then
    echo "engine: [dry-run] would debootstrap into $CACHE_DIR and import as $DEBIAN_IMAGE"
    return 0
  fi
  mkdir -p "$CACHE_DIR"
  root="$(mktemp -d "$CACHE_DIR/debian-rootfs.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$root'" EXIT
  if ! debootstrap --variant=minbase bookworm "$root" "$mirror" >"$CACHE_DIR/debootstrap.log" 2>&1; then
    warn "debootstrap failed. Last lines of $CACHE_DIR/debootstrap.log:"
    tail -n 20 "$CACHE_DIR/debootstrap.log" >&2 || true
    exit 1
  fi
  # Like the official image: no package cache, no lists (run apt-get update in a derived image).
  rm -rf "${root:?}"/var/cache/apt/archives/*.deb "${root:?}"/var/lib/apt/lists/* "${root:?}"/dev/* "${root:?}"/proc/* "${root:?}"/sys/*
  tar --numeric-owner -C "$root" -cf - . |
    docker import \
      --change 'CMD ["bash"]' \
      --change "LABEL $LABEL_KEY=debian" \
      --change "LABEL $RECIPE_KEY=$RECIPE" \
      --change "LABEL io.container-lineage.source=\"debootstrap minbase bookworm\"" \
      --message "container-lineage: debian base from debootstrap --variant=minbase bookworm" \
      - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$root"
  trap - EXIT
  log "created $DEBIAN_IMAGE"
}

summary() {
  [ "$DRY_RUN" = 1 ] && { log "dry run: nothing changed"; return 0; }
  local v tags=("$BUSYBOX_IMAGE") tag id size
  v="$(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}}, {{.Server.Os}}/{{.Server.Arch}})' 2>/dev/null || echo unknown)"
  echo "engine: ready at $ENDPOINT: Docker Engine $v"
  if [ "$WANT_DEBIAN" = 1 ] || image_exists "$DEBIAN_IMAGE"; then tags+=("$DEBIAN_IMAGE"); fi
  for tag in "${tags[@]}"; do
    if image_exists "$tag"; then
      read -r id size < <(docker image inspect --format '{{.Id}} {{.Size}}' "$tag")
      echo "engine: base image $tag ${id#sha256:} (${size} bytes, $LABEL_KEY=$(image_label "$tag"))" | sed -E 's/ ([0-9a-f]{12})[0-9a-f]{52} / \1 /'
    else
      echo "engine: base image $tag missing"
    fi
  done
}

# Several sessions may run this at once (tests in parallel): one at a time.
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/engine.lock"
if command -v flock >/dev/null 2>&1 && ! flock -w 600 9; then
  die "another engine.sh holds $CACHE_DIR/engine.lock for 10 minutes; is it stuck? (fuser $CACHE_DIR/engine.lock)"
fi

ensure_engine
command -v docker >/dev/null 2>&1 || apt_install docker.io
make_busybox
[ "$WANT_DEBIAN" = 1 ] && make_debian
summary

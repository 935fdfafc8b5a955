#!/usr/bin/env bash
# A private Podman for the tests: Podman's Docker-compatible API on its own socket, with its own
# configuration and storage, holding copies of the Docker engine's images.
#
#   bash scripts/podman.sh [--images "REF..."] [--stop] [--status] [--quiet] [--help]
#
# 1. Installs Debian's `podman` with apt-get when it is missing (root on Debian only), then checks
#    that the Docker engine still runs containers as it did before (no network, its default bridge,
#    a user bridge network): installing Podman must not disturb dockerd's networking.
# 2. Starts `podman system service --time=0 unix://$DIR/podman.sock` in the background (it
#    outlives this script; log in $DIR/service.log) with CONTAINERS_CONF, CONTAINERS_STORAGE_CONF
#    and CONTAINERS_REGISTRIES_CONF pointing into $DIR: it never touches the Docker engine, nor the
#    user's own Podman (/var/lib/containers, /run/podman). The configuration is the one that works
#    in this kind of sandbox: runtime runc (crun fails on hybrid cgroups), cgroup_manager cgroupfs,
#    events_logger file; no CNI plugins, so Podman never adds a bridge or iptables rules.
# 3. Copies images from the Docker engine (`docker save … | podman load`): busybox:latest,
#    debian:bookworm when present, and every lineage-sample/* image; or the references given with
#    --images. An image is loaded only when Podman lacks it under that ID (a second run changes
#    nothing); a copy the Docker engine replaced (rebuilt tag) is loaded again and the stale copy
#    removed when nothing else uses it.
# Prints `podman: ready at unix://…/podman.sock: Podman 4.3.1 (API 1.41)` last.
#
# Containers cannot START under Podman in this sandbox (runc: setting RLIMIT_NPROC is not
# permitted); images, tags, inspect, history, events, container create/inspect/remove and builds
# work (Buildah runs a RUN step without setting that limit: measured here, `RUN echo` succeeds).
#
# Flags:
#   --images "REF..."  images to copy from the Docker engine instead of the default set ("" = none)
#   --stop             stop the service this script started (storage files are kept, its mounts undone)
#   --status           exit 0 when the service this script started is running, 1 when not
#   --quiet            print only warnings, errors and the final line
#
# Environment (all optional):
#   CONTAINER_LINEAGE_CACHE          work folder (default $HOME/.cache/container-lineage); Podman's
#                                    files live in $CONTAINER_LINEAGE_CACHE/podman
#   CONTAINER_LINEAGE_PODMAN_TIMEOUT seconds to wait for the socket to answer (default 60)
set -euo pipefail

IMAGES_GIVEN=0
IMAGES=""
STOP=0
STATUS=0
QUIET=0
DRY_RUN=0   # lib/apt.sh reads it; this script has no dry run

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --images) [ $# -ge 2 ] || { echo "podman.sh: --images needs a value" >&2; exit 2; }; IMAGES_GIVEN=1; IMAGES="$2"; shift ;;
    --stop) STOP=1 ;;
    --status) STATUS=1 ;;
    --quiet|-q) QUIET=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "podman.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

CACHE_DIR="${CONTAINER_LINEAGE_CACHE:-${HOME:-/root}/.cache/container-lineage}"
DIR="$CACHE_DIR/podman"
SOCK="$DIR/podman.sock"
ENDPOINT="unix://$SOCK"
PIDFILE="$DIR/service.pid"
SERVICE_LOG="$DIR/service.log"
TIMEOUT="${CONTAINER_LINEAGE_PODMAN_TIMEOUT:-60}"

log() { [ "$QUIET" = 1 ] || echo "podman: $*"; }
warn() { echo "podman: $*" >&2; }
die() { echo "podman: ERROR: $*" >&2; exit 1; }
act() { "$@"; }
is_root() { [ "$(id -u)" = 0 ]; }
is_debian() { [ -r /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; }
# shellcheck source=lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

# Every podman command of this script (and the service) sees only the private configuration.
export CONTAINERS_CONF="$DIR/containers.conf"
export CONTAINERS_STORAGE_CONF="$DIR/storage.conf"
export CONTAINERS_REGISTRIES_CONF="$DIR/registries.conf"

# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------
write_config() {
  mkdir -p "$DIR/storage" "$DIR/run" "$DIR/tmp" "$DIR/networks" "$DIR/no-cni-plugins"
  # Rewritten on every run, so a changed recipe reaches existing machines; the service reads it at start.
  cat >"$CONTAINERS_CONF.new" <<EOF
# Written by scripts/podman.sh: a private Podman for the Container Lineage tests.
[containers]
netns = "none"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$DIR/events.log"
tmp_dir = "$DIR/tmp"
static_dir = "$DIR/storage/libpod"
volume_path = "$DIR/storage/volumes"

[network]
# Podman's compat API puts every created container on its default bridge network, whatever netns
# says; starting one would add a cni-podman0 bridge and CNI iptables chains beside dockerd's. An
# empty plugin folder makes that fail before anything on the host changes.
network_backend = "cni"
network_config_dir = "$DIR/networks"
cni_plugin_dirs = ["$DIR/no-cni-plugins"]
EOF
  cat >"$CONTAINERS_STORAGE_CONF.new" <<EOF
# Written by scripts/podman.sh.
[storage]
driver = "overlay"
graphroot = "$DIR/storage"
runroot = "$DIR/run"
EOF
  # No registry is reachable here: no short-name search, so nothing is ever pulled by accident.
  cat >"$CONTAINERS_REGISTRIES_CONF.new" <<EOF
# Written by scripts/podman.sh.
unqualified-search-registries = []
short-name-mode = "permissive"
EOF
  local f changed=0
  for f in "$CONTAINERS_CONF" "$CONTAINERS_STORAGE_CONF" "$CONTAINERS_REGISTRIES_CONF"; do
    if cmp -s "$f.new" "$f"; then rm -f "$f.new"; else mv "$f.new" "$f"; changed=1; fi
  done
  CONFIG_CHANGED=$changed
}

# ---------------------------------------------------------------------------------------------
# The service
# ---------------------------------------------------------------------------------------------
# 0 when the socket answers /_ping as Podman (the Libpod-Api-Version header).
ping_podman() {
  [ -S "$SOCK" ] || return 1
  curl -s -m 3 -D - -o /dev/null --unix-socket "$SOCK" http://d/_ping 2>/dev/null | grep -i '^Libpod-Api-Version:' >/dev/null
}

service_pid() {
  local pid=""
  [ -r "$PIDFILE" ] && pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "system service"; then
    echo "$pid"
  fi
}

stop_service() {
  local pid
  pid="$(service_pid)"
  if [ -z "$pid" ]; then log "no service of this script is running"; return 0; fi
  kill "$pid"
  local waited=0
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 40 ]; do sleep 0.25; waited=$((waited + 1)); done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  rm -f "$PIDFILE" "$SOCK"
  unmount_storage
  log "stopped the service (pid $pid)"
}

# containers/storage leaves its overlay home ($DIR/storage/overlay) bind-mounted on itself after the
# service exits; with the service gone nothing uses this private storage, so undo its mounts
# (deepest first). The files stay: the next start loads nothing again.
unmount_storage() {
  local target
  command -v findmnt >/dev/null 2>&1 || return 0
  findmnt -rn -o TARGET | awk -v root="$DIR/storage" 'index($0, root "/") == 1 || $0 == root' | sort -r | while read -r target; do
    umount "$target" 2>/dev/null || umount -l "$target" 2>/dev/null || warn "could not unmount $target"
  done
}

start_service() {
  if ping_podman; then
    if [ "${CONFIG_CHANGED:-0}" = 1 ] && [ -n "$(service_pid)" ]; then
      log "configuration changed; restarting the service"
      stop_service
    else
      log "service answers at $ENDPOINT"
      return 0
    fi
  fi
  local pid
  pid="$(service_pid)"
  if [ -z "$pid" ]; then
    rm -f "$SOCK"
    echo "=== $(date -u +%FT%TZ) podman.sh starting podman system service --time=0 $ENDPOINT" >>"$SERVICE_LOG"
    # setsid + nohup: the service lives on after this script (and npm) exit; 9>&- keeps the lock out of it.
    setsid nohup podman system service --time=0 "$ENDPOINT" </dev/null >>"$SERVICE_LOG" 2>&1 9>&- &
    pid=$!
    echo "$pid" >"$PIDFILE"
    log "started podman system service (pid $pid, log: $SERVICE_LOG)"
  else
    log "service (pid $pid) is running but not answering yet; waiting"
  fi
  local waited=0
  until ping_podman; do
    kill -0 "$pid" 2>/dev/null || { warn "the service exited before answering. Last lines of $SERVICE_LOG:"; tail -n 20 "$SERVICE_LOG" >&2; exit 1; }
    [ "$waited" -lt $((TIMEOUT * 4)) ] || { warn "no answer on $ENDPOINT within ${TIMEOUT}s. Last lines of $SERVICE_LOG:"; tail -n 20 "$SERVICE_LOG" >&2; exit 1; }
    sleep 0.25
    waited=$((waited + 1))
  done
  log "service answers at $ENDPOINT"
}

# ---------------------------------------------------------------------------------------------
# Docker must be untouched by the install
# ---------------------------------------------------------------------------------------------
# 0 when Docker runs busybox containers: without a network, on the default bridge and on a user
# bridge network (both need dockerd's iptables chains and docker0), each with an IPv4 address.
docker_runs_containers() {
  docker info >/dev/null 2>&1 && docker image inspect busybox:latest >/dev/null 2>&1 || return 1
  local net="cl-podman-check-$$" rc=0 label=io.container-lineage.test=podman
  docker run --rm --network none --label "$label" busybox:latest true >/dev/null 2>&1 || return 1
  docker network create --label "$label" "$net" >/dev/null 2>&1 || return 1
  docker run --rm --network "$net" --label "$label" busybox:latest sh -c 'ip -4 addr show eth0 | grep -q inet' >/dev/null 2>&1 || rc=1
  docker run --rm --network bridge --label "$label" busybox:latest sh -c 'ip -4 addr show eth0 | grep -q inet' >/dev/null 2>&1 || rc=1
  docker network rm "$net" >/dev/null 2>&1 || true
  return "$rc"
}

# The install must not disturb dockerd: what ran before must run after.
check_docker() {
  if [ "$1" != 1 ]; then log "Docker did not run containers before the install either (or is absent); not compared"; return 0; fi
  docker_runs_containers || die "after installing podman, Docker no longer runs a busybox container on its networks (none, bridge, a user bridge)"
  log "Docker still runs containers (no network, default bridge, a user bridge network)"
}

# ---------------------------------------------------------------------------------------------
# Images from the Docker engine
# ---------------------------------------------------------------------------------------------
default_images() {
  local refs=(busybox:latest)
  docker image inspect debian:bookworm >/dev/null 2>&1 && refs+=(debian:bookworm)
  local r
  while IFS= read -r r; do [ -n "$r" ] && refs+=("$r"); done < <(docker image ls --format '{{.Repository}}:{{.Tag}}' 'lineage-sample/*' | grep -v '<none>' | sort)
  echo "${refs[*]}"
}

# podman_id REF: the ID Podman has for REF, empty when none.
podman_id() { podman image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }

load_images() {
  local refs=() ref docker_id have stale=() want=()
  read -r -a refs <<<"$1"
  [ ${#refs[@]} -gt 0 ] || return 0
  for ref in "${refs[@]}"; do
    docker_id="$(docker image inspect --format '{{.Id}}' "$ref" 2>/dev/null)" || die "image $ref is not on the Docker engine (bash scripts/engine.sh and scripts/build-samples.sh make the default set)"
    have="$(podman_id "$ref")"
    if [ "sha256:$have" = "$docker_id" ] || [ "$have" = "$docker_id" ]; then continue; fi
    [ -n "$have" ] && stale+=("$have")
    want+=("$ref")
  done
  if [ ${#want[@]} -eq 0 ]; then
    log "Podman already holds ${#refs[@]} image(s) with the Docker engine's IDs"
    return 0
  fi
  log "loading ${want[*]} from the Docker engine"
  docker save "${want[@]}" | podman load -q >/dev/null || die "docker save ${want[*]} | podman load failed"
  for ref in "${want[@]}"; do
    [ "sha256:$(podman_id "$ref")" = "$(docker image inspect --format '{{.Id}}' "$ref")" ] || die "after podman load, $ref has another ID in Podman than in Docker"
  done
  local id
  for id in "${stale[@]}"; do
    # The replaced copy goes when it lost every tag and no container uses it; otherwise it stays.
    if [ -z "$(podman image inspect --format '{{join .RepoTags ","}}' "$id" 2>/dev/null)" ]; then
      podman rmi "$id" >/dev/null 2>&1 && log "removed the stale copy ${id:0:12}" || true
    fi
  done
}

summary() {
  local v
  v="$(curl -s -m 5 --unix-socket "$SOCK" http://d/version | sed -nE 's/.*"Version":"([^"]+)".*"ApiVersion":"([^"]+)".*/\1 (API \2)/p' | head -n1)"
  [ -n "$v" ] || v="(version unknown)"
  echo "podman: ready at $ENDPOINT: Podman $v"
}

# ---------------------------------------------------------------------------------------------
mkdir -p "$DIR"
# Several sessions may run this at once (suites in parallel): one at a time.
exec 9>"$CACHE_DIR/podman.lock"
if command -v flock >/dev/null 2>&1 && ! flock -w 600 9; then
  die "another podman.sh holds $CACHE_DIR/podman.lock for 10 minutes; is it stuck? (fuser $CACHE_DIR/podman.lock)"
fi

if [ "$STOP" = 1 ]; then stop_service; exit 0; fi
if [ "$STATUS" = 1 ]; then
  if [ -n "$(service_pid)" ]; then log "running (pid $(service_pid)) at $ENDPOINT"; exit 0; fi
  log "not running"; exit 1
fi

if ! command -v podman >/dev/null 2>&1; then
  is_root && is_debian || die "podman is missing. Install it (Debian: sudo apt-get install podman) and rerun."
  RAN_BEFORE=0
  docker_runs_containers && RAN_BEFORE=1
  log "installing Debian's podman"
  apt_install podman curl
  check_docker "$RAN_BEFORE"
fi
command -v curl >/dev/null 2>&1 || apt_install curl
write_config
start_service
[ "$IMAGES_GIVEN" = 1 ] || IMAGES="$(default_images)"
load_images "$IMAGES"
summary

#!/usr/bin/env bash
# Build the sample image family (samples/) on the engine and check that it forms the expected lineage.
#
#   bash scripts/build-samples.sh [--debian] [--quiet] [--help]
#
#   busybox:latest                       (offline base, made by scripts/engine.sh)
#   ├── lineage-sample/base:1.0          samples/base
#   │   ├── lineage-sample/child:1.0     samples/child
#   │   │   └── lineage-sample/grandchild:1.0   samples/grandchild
#   │   └── lineage-sample/committed:1.0 customised container + `docker commit` (engine Parent set)
#   ├── lineage-sample/multistage:1.0    samples/multistage (stages build, check, runtime)
#   └── lineage-sample/web:1.0           samples/web (busybox httpd + CGI account page, for `serve`)
#   debian:bookworm                      (only with --debian, or when it exists)
#   └── lineage-sample/debian:1.0        samples/debian (apt-get install through the bridge network)
#
# Idempotent and fast when nothing changed: builds hit the build cache, so the image IDs stay the
# same, and the committed image is only redone when its base changed.
#
# Builder: BuildKit when this docker CLI can drive it (with the buildx plugin, or a CLI older than
# 23 that has BuildKit built in, e.g. Debian's docker.io 20.10 at /usr/bin/docker), else the classic
# builder. On the project's machines (Debian docker.io 20.10.24) BuildKit works, so it is used; set
# CONTAINER_LINEAGE_BUILDER=classic (or buildkit) to force one. BuildKit leaves the engine's `Parent`
# field empty; lineage is computed from RootFS.Layers prefixes, which both builders produce.
set -euo pipefail

WANT_DEBIAN=0
QUIET=0
while [ $# -gt 0 ]; do
  case "$1" in
    --debian) WANT_DEBIAN=1 ;;
    --quiet|-q) QUIET=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-samples.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SAMPLES="$ROOT/samples"
CACHE_DIR="${CONTAINER_LINEAGE_CACHE:-${HOME:-/root}/.cache/container-lineage}"
BUSYBOX_IMAGE="${CONTAINER_LINEAGE_BUSYBOX_IMAGE:-busybox:latest}"
DEBIAN_IMAGE="${CONTAINER_LINEAGE_DEBIAN_IMAGE:-debian:bookworm}"
PREFIX=lineage-sample

log() { [ "$QUIET" = 1 ] || echo "samples: $*"; }
die() { echo "samples: ERROR: $*" >&2; exit 1; }

command -v docker >/dev/null 2>&1 || die "no docker CLI; run: bash scripts/engine.sh"
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 ||
  die "no engine answers (DOCKER_HOST=${DOCKER_HOST:-unset}); run: bash scripts/engine.sh"
docker image inspect "$BUSYBOX_IMAGE" >/dev/null 2>&1 ||
  die "base image $BUSYBOX_IMAGE is missing; run: bash scripts/engine.sh"

# --- which builder ---------------------------------------------------------------------------
client_major() { "$1" version --format '{{.Client.Version}}' 2>/dev/null | sed -E 's/^([0-9]+).*/\1/'; }
DOCKER=docker
BUILDER="${CONTAINER_LINEAGE_BUILDER:-}"
if [ -z "$BUILDER" ] || [ "$BUILDER" = buildkit ]; then
  if docker buildx version >/dev/null 2>&1; then
    BUILDER=buildkit
  elif [ "$(client_major docker)" -lt 23 ] 2>/dev/null; then
    BUILDER=buildkit
  elif [ -x /usr/bin/docker ] && [ "$(client_major /usr/bin/docker)" -lt 23 ] 2>/dev/null; then
    DOCKER=/usr/bin/docker   # Debian's docker.io CLI: BuildKit built in, no buildx needed
    BUILDER=buildkit
  elif [ "$BUILDER" = buildkit ]; then
    die "CONTAINER_LINEAGE_BUILDER=buildkit but this docker CLI has no buildx plugin"
  else
    BUILDER=classic
  fi
fi
case "$BUILDER" in
  buildkit) export DOCKER_BUILDKIT=1 ;;
  classic) export DOCKER_BUILDKIT=0 ;;
  *) die "CONTAINER_LINEAGE_BUILDER must be buildkit or classic, not '$BUILDER'" ;;
esac
log "builder: $BUILDER ($DOCKER $("$DOCKER" version --format '{{.Client.Version}}' 2>/dev/null))"

# Several sessions may build at once: one at a time.
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/samples.lock"
if command -v flock >/dev/null 2>&1 && ! flock -w 600 9; then die "another build-samples.sh holds $CACHE_DIR/samples.lock"; fi

image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }
layers() { docker image inspect --format '{{range .RootFS.Layers}}{{.}} {{end}}' "$1"; }

# build NAME [extra docker build args...]: samples/NAME -> lineage-sample/NAME:1.0
build() {
  local name="$1"; shift
  local tag="$PREFIX/$name:1.0" before after out
  before="$(image_id "$tag")"
  out="$(mktemp)"
  if ! "$DOCKER" build --quiet --label "io.container-lineage.sample=$name" -t "$tag" "$@" "$SAMPLES/$name" >"$out" 2>&1; then
    echo "samples: building $tag failed:" >&2
    cat "$out" >&2
    rm -f "$out"
    exit 1
  fi
  rm -f "$out"
  after="$(image_id "$tag")"
  if [ "$before" = "$after" ]; then
    log "$tag unchanged (${after:7:12})"
  else
    log "$tag built (${after:7:12}, $(layers "$tag" | wc -w) layers)"
  fi
}

build base
build child
build grandchild
build multistage
build web

# --- the seed's scripted way: customise a container, then commit it as a child image ----------
COMMITTED="$PREFIX/committed:1.0"
BASE_ID="$(image_id "$PREFIX/base:1.0")"
if [ "$(docker image inspect --format '{{.Parent}}' "$COMMITTED" 2>/dev/null || true)" = "$BASE_ID" ]; then
  log "$COMMITTED unchanged (${BASE_ID:7:12} is still its parent)"
else
  ctr="lineage-sample-commit-$$-$RANDOM"
  trap 'docker rm -f "$ctr" >/dev/null 2>&1 || true' EXIT
  docker run --name "$ctr" --user root --network none "$PREFIX/base:1.0" sh -c '
      echo "visitor:x:1001:1001:visitor:/home/visitor:/bin/sh" >> /etc/passwd &&
      echo "visitor:x:1001:" >> /etc/group &&
      mkdir -p /home/visitor && chown 1001:1001 /home/visitor &&
      mkdir -p /etc/app/conf.d && echo "level=committed" > /etc/app/conf.d/committed.conf &&
      echo "customised in a running container, then committed" > /etc/motd' >/dev/null
  docker commit \
    --change 'LABEL io.container-lineage.sample=committed' \
    --change 'USER app' \
    --change 'CMD ["/opt/app/hello.sh"]' \
    --message "lineage-sample: base customised in a container (user visitor, /etc/motd)" \
    "$ctr" "$COMMITTED" >/dev/null
  docker rm "$ctr" >/dev/null
  trap - EXIT
  log "$COMMITTED committed ($(image_id "$COMMITTED" | cut -c8-19), parent ${BASE_ID:7:12})"
fi

# --- optional Debian sample -------------------------------------------------------------------
if docker image inspect "$DEBIAN_IMAGE" >/dev/null 2>&1; then
  build debian
elif [ "$WANT_DEBIAN" = 1 ]; then
  die "$DEBIAN_IMAGE is missing; run: bash scripts/engine.sh --debian"
else
  log "$DEBIAN_IMAGE absent: skipping samples/debian (bash scripts/engine.sh --debian adds it)"
fi

# Rebuilt samples leave their old images untagged: remove those (only sample-labelled, dangling ones).
docker image prune -f --filter dangling=true --filter label=io.container-lineage.sample >/dev/null

# --- check the lineage: each parent's layers are a prefix of its child's layers ---------------
check_prefix() {
  local parent="$1" child="$2" pl cl
  pl="$(layers "$parent")"
  cl="$(layers "$child")"
  if [[ "$cl" != "$pl"* ]] || [ "$cl" = "$pl" ]; then
    die "lineage broken: the layers of $parent are not a strict prefix of the layers of $child"
  fi
}
check_prefix "$BUSYBOX_IMAGE" "$PREFIX/base:1.0"
check_prefix "$PREFIX/base:1.0" "$PREFIX/child:1.0"
check_prefix "$PREFIX/child:1.0" "$PREFIX/grandchild:1.0"
check_prefix "$BUSYBOX_IMAGE" "$PREFIX/multistage:1.0"
check_prefix "$BUSYBOX_IMAGE" "$PREFIX/web:1.0"
check_prefix "$PREFIX/base:1.0" "$COMMITTED"
if docker image inspect "$PREFIX/debian:1.0" >/dev/null 2>&1 && docker image inspect "$DEBIAN_IMAGE" >/dev/null 2>&1; then
  check_prefix "$DEBIAN_IMAGE" "$PREFIX/debian:1.0"
fi
log "lineage checked: busybox -> base -> child -> grandchild; base -> committed; busybox -> multistage; busybox -> web"

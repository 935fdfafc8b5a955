#!/usr/bin/env bash
# Developer check (not part of `npm test`): run scripts/engine.sh and scripts/podman.sh on a FRESH
# Debian, safely.
#
#   bash scripts/engine-fresh-check.sh
#
# Starts a throwaway debian:bookworm container (needs `bash scripts/engine.sh --debian` once) with
# its own network namespace and runs engine.sh twice inside it: the first run must apt-get update,
# install docker.io + busybox-static, start dockerd and import busybox:latest; the second must
# change nothing. Then podman.sh twice: the first must install Debian's podman, start its private
# service and copy busybox:latest from the inner dockerd; the second must change nothing. The
# host's engine, its docker0 bridge and its images are not touched (the inner
# dockerd lives in the container's namespaces and storage; it uses vfs, and it cannot run
# containers here because the cgroup file system stays read-only without --privileged).
# Takes about a minute (package downloads). The container is removed whatever happens.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGE="${CONTAINER_LINEAGE_DEBIAN_IMAGE:-debian:bookworm}"
docker image inspect "$IMAGE" >/dev/null 2>&1 || { echo "fresh-check: $IMAGE missing; run: bash scripts/engine.sh --debian" >&2; exit 1; }

name="cl-engine-fresh-check-$$"
out="$(mktemp)"
trap 'docker rm -f "$name" >/dev/null 2>&1 || true; rm -f "$out"' EXIT

# Everything --privileged would give except CAP_SYS_RESOURCE, which this host's dockerd lacks.
rc=0
docker run --name "$name" --label io.container-lineage.test=engine-fresh-check \
  --cap-add ALL --cap-drop SYS_RESOURCE \
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined \
  --tmpfs /root/.cache/container-lineage/podman:exec \
  -v "$ROOT/scripts:/scripts:ro" "$IMAGE" bash -c '
    set -e
    echo "--- first run (fresh machine)"
    bash /scripts/engine.sh
    echo "--- second run"
    bash /scripts/engine.sh
    test ! -e /usr/sbin/policy-rc.d || { echo "policy-rc.d left behind"; exit 1; }
    echo "--- podman first run"
    bash /scripts/podman.sh --images busybox:latest
    echo "--- podman second run"
    bash /scripts/podman.sh --images busybox:latest
    test ! -e /usr/sbin/policy-rc.d || { echo "policy-rc.d left behind"; exit 1; }
    ' >"$out" 2>&1 || rc=$?

grep -E '^(---|engine:|podman:)' "$out" || true
fail() { echo "fresh-check: FAILED: $*" >&2; echo "--- full output:" >&2; cat "$out" >&2; exit 1; }
[ "$rc" = 0 ] || fail "engine.sh exited $rc"
first="$(sed -n '/^--- first run/,/^--- second run/p' "$out")"
second="$(sed -n '/^--- second run/,/^--- podman first run/p' "$out")"
pfirst="$(sed -n '/^--- podman first run/,/^--- podman second run/p' "$out")"
psecond="$(sed -n '/^--- podman second run/,$p' "$out")"
grep -q 'apt-get update (package lists lack docker.io)' <<<"$first" || fail "no apt-get update on a machine without package lists"
grep -q 'installing docker.io' <<<"$first" || fail "docker.io was not installed"
grep -q 'answers on unix:///var/run/docker.sock' <<<"$first" || fail "dockerd was not started"
grep -q 'created busybox:latest' <<<"$first" || fail "busybox:latest was not imported"
grep -q 'busybox:latest present .*left as is' <<<"$second" || fail "the second run did not leave busybox:latest alone"
if grep -qE 'installing|starting dockerd|creating' <<<"$second"; then fail "the second run changed something"; fi
grep -q "installing Debian's podman" <<<"$pfirst" || fail "podman was not installed"
grep -q 'started podman system service' <<<"$pfirst" || fail "the Podman service was not started"
grep -q 'loading busybox:latest from the Docker engine' <<<"$pfirst" || fail "busybox:latest was not copied into Podman"
grep -q 'podman: ready at unix://' <<<"$pfirst" || fail "podman.sh did not end ready"
grep -q 'Podman already holds 1 image' <<<"$psecond" || fail "the second podman.sh run did not find busybox:latest in Podman"
if grep -qE 'installing|started podman|loading' <<<"$psecond"; then fail "the second podman.sh run changed something"; fi
echo "fresh-check: ok (dockerd and Podman installed, started, images in place; the second runs changed nothing)"

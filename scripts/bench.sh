#!/usr/bin/env bash
# `npm run bench`: every benchmark in bench/ (each prints its figures as ratios against a baseline
# measured in the same run). Installs code-server when missing (scripts/code-server.sh).
#   bash scripts/bench.sh [name ...]   e.g. `bash scripts/bench.sh activation`
# Runs bench/*.mjs with node and bench/*.ts with tsx. Starts what the benches need, as npm test
# does: Debian's dockerd with busybox:latest (scripts/engine.sh) and the sample images
# (scripts/build-samples.sh), both idempotent; skipped when only engine-free benches are named.
set -euo pipefail
# A clean npm environment for everything started from here (see scripts/lib/npm-env.sh).
# shellcheck source=lib/npm-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/npm-env.sh"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
if [ "$#" -gt 0 ]; then
  benches=()
  for name in "$@"; do
    if [ -f "bench/$name.ts" ]; then benches+=("bench/$name.ts"); else benches+=("bench/$name.mjs"); fi
  done
else
  shopt -s nullglob
  benches=(bench/*.mjs bench/*.ts)
fi
# Benches that never talk to an engine.
ENGINE_FREE=" activation.mjs build-context.ts lineage.ts "
needs_engine=0
for bench in "${benches[@]}"; do
  [[ "$ENGINE_FREE" == *" $(basename "$bench") "* ]] || needs_engine=1
done
if [ "$needs_engine" = 1 ]; then
  echo "== setup: engine and sample images"
  bash scripts/engine.sh --quiet || { echo "bench: no engine could be started (scripts/engine.sh)" >&2; exit 1; }
  bash scripts/build-samples.sh --quiet || { echo "bench: the sample images could not be built (scripts/build-samples.sh)" >&2; exit 1; }
fi
status=0
out="$(mktemp -d "${TMPDIR:-/tmp}/cl-bench.XXXXXX")"
trap 'rm -rf "$out"' EXIT
ran=()
for bench in "${benches[@]}"; do
  [ -f "$bench" ] || { echo "bench: no such benchmark $bench" >&2; status=1; continue; }
  echo "== $bench"
  name="$(basename "$bench")"
  ran+=("$name")
  rc=0
  case "$bench" in
    *.ts) node --import tsx "$bench" 2>&1 | tee "$out/$name.log" || rc=$? ;;
    *) node "$bench" 2>&1 | tee "$out/$name.log" || rc=$? ;;
  esac
  [ "$rc" -eq 0 ] || { status=1; echo "FAILED (exit $rc)" >>"$out/$name.status"; }
done
# One table at the end: every goal or target line a bench printed (each says its figure against its
# same-run baseline and "met" / "NOT met"), per bench, and the benches that failed to run.
echo
echo "== goals: each bench's goal and target lines (figures are same-run ratios)"
met=0 notmet=0
for name in "${ran[@]}"; do
  if [ -f "$out/$name.status" ]; then echo "  $name: $(cat "$out/$name.status")"; fi
  while IFS= read -r line; do
    echo "  $name: ${line#"${line%%[![:space:]]*}"}"
    if grep -qiE 'not met' <<<"$line"; then notmet=$((notmet + 1)); else met=$((met + 1)); fi
  done < <(grep -iE '(goal|target).*\b(met|not met)\b' "$out/$name.log" || true)
done
echo "  lines with every figure met: $met; lines with a figure NOT met: $notmet"
exit "$status"

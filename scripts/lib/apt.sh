# shellcheck shell=bash
# Sourced by scripts/engine.sh and scripts/podman.sh: install Debian packages the same way everywhere.
#
# The sourcing script defines `log MSG`, `die MSG` (exit 1), `act CMD...` (runs CMD, or only prints
# it in a dry run), `is_root` and `is_debian`, and sets DRY_RUN=0|1, before calling apt_install.

APT_UPDATED=0
# Another apt-get (a second script, unattended-upgrades on a new machine) may hold the dpkg lock:
# wait for it up to 10 minutes instead of failing at once.
APT_WAIT=(-o DPkg::Lock::Timeout=600)
apt_has_candidate() {
  local c
  c="$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')"
  [ -n "$c" ] && [ "$c" != "(none)" ]
}

# apt_install PKG...: installs the packages not installed yet; `apt-get update` only when a
# wanted package has no install candidate in the current lists. Services stay stopped
# (policy-rc.d): the calling script starts its engine itself, the same way on every machine.
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! is_root || ! is_debian; then die "missing packages: ${missing[*]}. Install them (Debian: sudo apt-get install ${missing[*]}) and rerun."; fi
  for p in "${missing[@]}"; do
    if [ "$APT_UPDATED" = 0 ] && ! apt_has_candidate "$p"; then
      log "apt-get update (package lists lack $p)"
      act apt-get "${APT_WAIT[@]}" update -qq
      APT_UPDATED=1
    fi
  done
  log "installing ${missing[*]}"
  local made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ] && [ "$DRY_RUN" = 0 ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  local rc=0
  act env DEBIAN_FRONTEND=noninteractive apt-get "${APT_WAIT[@]}" install -y -qq --no-install-recommends "${missing[@]}" || rc=$?
  if [ "$rc" != 0 ] && [ "$APT_UPDATED" = 0 ]; then
    # Old package lists name files the mirror no longer has: refresh them once and retry.
    log "apt-get install failed (exit $rc); apt-get update and retry"
    act apt-get "${APT_WAIT[@]}" update -qq && APT_UPDATED=1 && rc=0 &&
      act env DEBIAN_FRONTEND=noninteractive apt-get "${APT_WAIT[@]}" install -y -qq --no-install-recommends "${missing[@]}" || rc=$?
  fi
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ "$rc" = 0 ] || die "apt-get install ${missing[*]} failed (exit $rc)"
}

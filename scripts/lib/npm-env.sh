# shellcheck shell=bash
# Sourced by every script that `npm` can start (scripts/test.sh, demo.sh, bench.sh, code-server.sh):
# `clean_npm_env` removes what an outer `npm run` put into the environment, so that every npm or
# node started from here (`npm ci`, the Node 24 and code-server installs, `npm run package`)
# behaves exactly as it does from a plain shell.
#
# Why: npm reads every `npm_config_*` variable as its own configuration. A nested `npm install`
# started by `npm test` therefore inherits, among others, `npm_config_user_agent` naming the OUTER
# Node (v20), and code-server's postinstall takes the Node version from that variable and refuses
# to install ("code-server currently requires node v24"). The same holds for `npm_config_nodedir`,
# `npm_config_prefix`, `npm_config_global_prefix`, ... set by the outer npm.
#
# Removed: every variable whose name starts with npm_ or NPM_ (npm_config_*, npm_lifecycle_*,
# npm_package_*, npm_execpath, npm_node_execpath, npm_command), INIT_CWD and NODE (set by npm to
# the outer node), and the PATH entries npm prepends for a script (`…/node_modules/.bin`,
# npm's `…/node-gyp-bin`). Anything the user set outside npm stays, except NPM_CONFIG_* variables
# (npm cannot tell them apart from its own; put such settings into ~/.npmrc).

clean_npm_env() {
  local name
  while IFS= read -r name; do
    case "$name" in
      npm_*|NPM_*|INIT_CWD) unset "$name" ;;
    esac
  done < <(compgen -e)
  # npm sets NODE to its own node binary; a user-set NODE that is not npm's stays.
  if [ -n "${NODE:-}" ] && [ -n "${CL_OUTER_NPM_NODE:-}" ] && [ "$NODE" = "$CL_OUTER_NPM_NODE" ]; then
    unset NODE
  fi
  local entry kept=() IFS=:
  for entry in $PATH; do
    case "$entry" in
      */node_modules/.bin|*/node-gyp-bin) ;;
      *) kept+=("$entry") ;;
    esac
  done
  PATH="${kept[*]}"
  export PATH
}

# Remember npm's node before its variables go, so NODE can be told apart from a user's own.
CL_OUTER_NPM_NODE="${npm_node_execpath:-}"
clean_npm_env
unset CL_OUTER_NPM_NODE

/**
 * The isolation check of the session gateway (pure: scripts, parsing, verdicts; the engine work is
 * `engine/serve/isolation.ts`). Two sessions, A and B, each in its own container:
 * - A leaves a marker file in /tmp (and tries the root filesystem), an environment value (exported
 *   into /tmp/.cl_profile and $HOME/.profile) and a background process started with that value in
 *   its environment; B does the same with its own token;
 * - B looks for A's token — marker, environment after sourcing the profiles, any process whose
 *   environment holds it — and must find none (and A none of B's);
 * - A's next request still goes to A's container through the gateway, and A still finds all of
 *   its own traces there (otherwise the check would prove nothing).
 */

/** Environment variable the check sets. */
export const SERVE_ISOLATION_ENV = 'CL_SERVE_ISOLATION';

function checkToken(token: string): void {
  if (!/^[a-z0-9]+$/.test(token)) throw new RangeError(`token must be [a-z0-9]+, got ${JSON.stringify(token)}`);
}

/**
 * Script (busybox sh) that leaves the traces of `token`; prints `left_*` lines.
 * @throws RangeError for a token with characters other than [a-z0-9].
 */
export function leaveTracesScript(token: string): string {
  checkToken(token);
  return [
    `echo ${token} > /tmp/cl-marker-${token} 2>/dev/null && echo "left_marker=1" || echo "left_marker=0"`,
    `(echo ${token} > /cl-marker-${token}) 2>/dev/null || true`,
    `echo "export ${SERVE_ISOLATION_ENV}=${token}" >> /tmp/.cl_profile 2>/dev/null && echo "left_env=1" || echo "left_env=0"`,
    `[ -n "$HOME" ] && (echo "export ${SERVE_ISOLATION_ENV}=${token}" >> "$HOME/.profile") 2>/dev/null`,
    `${SERVE_ISOLATION_ENV}=${token} sleep 1000 </dev/null >/dev/null 2>&1 &`,
    `echo "left_process=$!"`,
  ].join('\n');
}

/**
 * Script that looks for the traces of `token`; prints `marker=`, `process=`, `env=` lines. The
 * processes are searched before the profiles are sourced, so the search itself never carries the
 * value.
 * @throws RangeError for a token with characters other than [a-z0-9].
 */
export function findTracesScript(token: string): string {
  checkToken(token);
  return [
    `unset ${SERVE_ISOLATION_ENV}`,
    `for f in /proc/[0-9]*/environ; do tr '\\000' '\\n' < "$f" 2>/dev/null | grep -qx "${SERVE_ISOLATION_ENV}=${token}" && echo "process=\${f#/proc/}"; done`,
    `for f in /tmp/cl-marker-${token} /cl-marker-${token}; do [ -e "$f" ] && echo "marker=$f"; done`,
    `[ -f /tmp/.cl_profile ] && . /tmp/.cl_profile 2>/dev/null`,
    `[ -n "$HOME" ] && [ -f "$HOME/.profile" ] && . "$HOME/.profile" 2>/dev/null`,
    `echo "env=\${${SERVE_ISOLATION_ENV}:-}"`,
    `echo "done=1"`,
  ].join('\n');
}

/** What a search for one token found. */
export interface TraceFindings {
  markers: string[];
  /** `<pid>/environ` entries whose environment holds the token. */
  processes: string[];
  /** Value of the variable after sourcing the profiles ('' = unset). */
  env: string;
  complete: boolean;
}

/** Parse the output of {@link findTracesScript}. */
export function parseFindings(stdout: string): TraceFindings {
  const f: TraceFindings = { markers: [], processes: [], env: '', complete: false };
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const [key, value] = [line.slice(0, eq), line.slice(eq + 1).trim()];
    if (key === 'marker') f.markers.push(value);
    else if (key === 'process') f.processes.push(value.replace(/\/environ$/, ''));
    else if (key === 'env') f.env = value;
    else if (key === 'done') f.complete = value === '1';
  }
  return f;
}

/** What {@link leaveTracesScript} managed to leave. */
export function parseLeft(stdout: string): { marker: boolean; env: boolean; process: boolean } {
  const v = (k: string) => new RegExp(`^${k}=(\\S*)$`, 'm').exec(stdout)?.[1] ?? '';
  return { marker: v('left_marker') === '1', env: v('left_env') === '1', process: Number(v('left_process')) > 0 };
}

/** One verdict of the check. */
export interface ServeIsolationCheck {
  /** e.g. "B sees A's marker file". */
  name: string;
  /** 'absent' for the other session's traces, 'present' for a session's own. */
  expected: 'absent' | 'present';
  passed: boolean;
  observed: string;
}

/** Result of the whole check. */
export interface ServeIsolationReport {
  passed: boolean;
  image: string;
  sessions: { A: { id: string; container: string }; B: { id: string; container: string } };
  checks: ServeIsolationCheck[];
  summary: string;
}

/**
 * Verdicts for the traces of `owner`'s `token` as seen from `viewer` (expected absent) or from the
 * owner itself (expected present). A search that did not finish fails every verdict.
 */
export function judgeFindings(owner: 'A' | 'B', viewer: 'A' | 'B', token: string, f: TraceFindings): ServeIsolationCheck[] {
  const expected = owner === viewer ? 'present' : 'absent';
  const want = expected === 'present';
  const what = owner === viewer ? `${viewer} still sees its own` : `${viewer} sees ${owner}'s`;
  const envSeen = f.env === token;
  return [
    { name: `${what} marker file`, expected, passed: f.complete && f.markers.length > 0 === want, observed: f.markers.length ? `found ${f.markers.join(', ')}` : 'no marker file' },
    { name: `${what} environment value`, expected, passed: f.complete && envSeen === want, observed: `${SERVE_ISOLATION_ENV}=${f.env || '(unset)'} after sourcing the profiles${envSeen ? ` (${owner}'s value)` : ''}` },
    {
      name: `${what} background process`,
      expected,
      passed: f.complete && f.processes.length > 0 === want,
      observed: f.processes.length ? `process(es) ${f.processes.join(', ')} carry the value` : 'no process carries the value',
    },
  ];
}

/** Summary line and overall verdict. */
export function finishServeIsolation(image: string, sessions: ServeIsolationReport['sessions'], checks: ServeIsolationCheck[]): ServeIsolationReport {
  const failed = checks.filter((c) => !c.passed);
  const passed = checks.length > 0 && failed.length === 0;
  const summary = passed
    ? `PASSED: two sessions on ${image} (${sessions.A.container}, ${sessions.B.container}): neither saw the other's marker file, environment value or background process; each next request still reached its own container and saw its own.`
    : `FAILED: ${failed.length} of ${checks.length} checks on ${image}: ${failed.map((c) => c.name).join('; ')}.`;
  return { passed, image, sessions, checks, summary };
}

/** Plain-text rendering: summary, then every check with its evidence. */
export function formatServeIsolationText(r: ServeIsolationReport): string {
  return [r.summary, '', ...r.checks.map((c) => `   ${c.passed ? 'ok  ' : 'FAIL'} ${c.name} (expected ${c.expected}): ${c.observed}`)].join('\n') + '\n';
}

/**
 * Isolation check (pure: plan, parsing, evaluation, rendering; the engine work is injected).
 *
 * A sequence of transactions runs the same script. Each one first OBSERVES what it can see of
 * earlier transactions, then LEAVES traces for the next one:
 * - a marker file in /tmp (tmpfs) and in the root filesystem (when it is writable);
 * - an environment value, exported and written to profile files (/tmp/.cl_profile, $HOME/.profile);
 * - a background process (`sleep 1000 &`);
 * - memory: a file of `fillMiB` MiB in /dev/shm (shared-memory tmpfs, charged to the container's
 *   memory cgroup).
 * A transaction passes when it sees none of those (no marker, env unset even after sourcing the
 * profiles, no process besides itself and the container's init, no fill file, /dev/shm near empty,
 * cgroup memory usage not above the first transaction's baseline + half the fill) AND it managed
 * to leave its own traces (otherwise the check would prove nothing). Every check records what was
 * observed, as evidence.
 */
import { plural } from './format';

/** Name of the environment variable the check sets. */
export const ISOLATION_ENV = 'CL_ISOLATION_TOKEN';

/**
 * The script one transaction runs (`sh -c SCRIPT`, busybox-compatible POSIX sh). Prints
 * `key=value` lines parsed by {@link parseObservation}.
 * @param token unique token of this transaction ([a-z0-9] only).
 * @param fillMiB MiB written to /dev/shm (default 16).
 * @throws RangeError on a token with other characters or a bad fill size.
 */
export function isolationScript(token: string, fillMiB = 16): string {
  if (!/^[a-z0-9]+$/.test(token)) throw new RangeError(`token must be [a-z0-9]+, got ${JSON.stringify(token)}`);
  if (!Number.isInteger(fillMiB) || fillMiB < 1) throw new RangeError(`fillMiB must be a whole number ≥ 1, got ${fillMiB}`);
  return [
    // ---- observe (no forks while listing processes: `set --` expands the glob in this shell)
    `echo "self=$$"`,
    `echo "env_inherited=\${${ISOLATION_ENV}:-}"`,
    `set -- /proc/[0-9]*`,
    `for d in "$@"; do p=\${d#/proc/}; c=""; read -r c < "$d/comm" 2>/dev/null || continue; echo "proc=$p:$c"; done`,
    `for f in /tmp/cl-marker-* /cl-marker-*; do [ -e "$f" ] && echo "marker=$f"; done`,
    `for f in /dev/shm/cl-fill-* /tmp/cl-fill-*; do [ -e "$f" ] && echo "fill_file=$f"; done`,
    `echo "shm_kb=$(du -sk /dev/shm 2>/dev/null | cut -f1)"`,
    `echo "cgroup_mem=$(cat /sys/fs/cgroup/memory/memory.usage_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.current 2>/dev/null)"`,
    `[ -f /tmp/.cl_profile ] && . /tmp/.cl_profile 2>/dev/null`,
    `[ -n "$HOME" ] && [ -f "$HOME/.profile" ] && . "$HOME/.profile" 2>/dev/null`,
    `echo "env_after_profile=\${${ISOLATION_ENV}:-}"`,
    // ---- leave traces for the next transaction
    `echo ${token} > /tmp/cl-marker-${token} 2>/dev/null && echo "left_tmp=1" || echo "left_tmp=0"`,
    `(echo ${token} > /cl-marker-${token}) 2>/dev/null && echo "left_root=1" || echo "left_root=0"`,
    `export ${ISOLATION_ENV}=${token}`,
    `echo "export ${ISOLATION_ENV}=${token}" >> /tmp/.cl_profile 2>/dev/null && echo "left_env=1" || echo "left_env=0"`,
    `[ -n "$HOME" ] && (echo "export ${ISOLATION_ENV}=${token}" >> "$HOME/.profile") 2>/dev/null`,
    `sleep 1000 </dev/null >/dev/null 2>&1 &`,
    `echo "left_proc=$!"`,
    `dd if=/dev/zero of=/dev/shm/cl-fill-${token} bs=1048576 count=${fillMiB} 2>/dev/null && echo "left_shm=1" || echo "left_shm=0"`,
    `echo "done=1"`,
  ].join('\n');
}

/** What one transaction saw and left. */
export interface Observation {
  /** The shell's own pid. */
  self: number;
  /** Processes visible at start: pid and command name. */
  processes: Array<{ pid: number; comm: string }>;
  /** Marker files found (paths). */
  markers: string[];
  /** Memory fill files found (paths). */
  fillFiles: string[];
  /** /dev/shm usage in KiB (NaN when unknown). */
  shmKiB: number;
  /** Memory cgroup usage in bytes (NaN when unreadable). */
  cgroupMemBytes: number;
  /** Value of the env variable inherited by the process ('' = unset). */
  envInherited: string;
  /** Value after sourcing /tmp/.cl_profile and $HOME/.profile. */
  envAfterProfile: string;
  /** Traces this transaction managed to leave. */
  left: { tmp: boolean; root: boolean; env: boolean; process: boolean; memory: boolean };
  /** The script ran to its end. */
  complete: boolean;
}

/**
 * Parse the `key=value` output of {@link isolationScript}. Unknown lines are ignored.
 */
export function parseObservation(stdout: string): Observation {
  const o: Observation = {
    self: NaN,
    processes: [],
    markers: [],
    fillFiles: [],
    shmKiB: NaN,
    cgroupMemBytes: NaN,
    envInherited: '',
    envAfterProfile: '',
    left: { tmp: false, root: false, env: false, process: false, memory: false },
    complete: false,
  };
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    const num = value === '' ? NaN : Number(value);
    switch (key) {
      case 'self': o.self = num; break;
      case 'proc': {
        const colon = value.indexOf(':');
        o.processes.push({ pid: Number(value.slice(0, colon)), comm: value.slice(colon + 1) });
        break;
      }
      case 'marker': o.markers.push(value); break;
      case 'fill_file': o.fillFiles.push(value); break;
      case 'shm_kb': o.shmKiB = num; break;
      case 'cgroup_mem': o.cgroupMemBytes = num; break;
      case 'env_inherited': o.envInherited = value; break;
      case 'env_after_profile': o.envAfterProfile = value; break;
      case 'left_tmp': o.left.tmp = value === '1'; break;
      case 'left_root': o.left.root = value === '1'; break;
      case 'left_env': o.left.env = value === '1'; break;
      case 'left_proc': o.left.process = Number.isInteger(num) && num > 0; break;
      case 'left_shm': o.left.memory = value === '1'; break;
      case 'done': o.complete = value === '1'; break;
    }
  }
  return o;
}

/** One check of one transaction, with what was observed. */
export interface IsolationCheck {
  name: 'marker files' | 'environment' | 'processes' | 'memory' | 'left traces';
  passed: boolean;
  /** Evidence: what the transaction observed, human readable. */
  observed: string;
}

/** Verdict for one transaction of the sequence. */
export interface IsolationStep {
  index: number;
  passed: boolean;
  exitCode: number | null;
  checks: IsolationCheck[];
  /** Set when the transaction itself failed (engine error, timeout). */
  error?: string;
}

/** Result of the whole check. */
export interface IsolationReport {
  passed: boolean;
  /** How the transactions ran, e.g. 'cold', 'warm pool', 'reused container'. */
  mode: string;
  image: string;
  steps: IsolationStep[];
  /** One-line summary. */
  summary: string;
}

/**
 * Evaluate one transaction's observation.
 * @param baselineMemBytes cgroup memory usage seen by the first transaction (NaN if unknown).
 * @param fillMiB size of the memory fill each transaction leaves.
 */
export function evaluateObservation(index: number, o: Observation, exitCode: number | null, baselineMemBytes: number, fillMiB: number): IsolationStep {
  const checks: IsolationCheck[] = [];
  checks.push({
    name: 'marker files',
    passed: o.markers.length === 0,
    observed: o.markers.length ? `found ${o.markers.join(', ')}` : 'no marker file in /tmp or /',
  });
  const envSeen = o.envInherited || o.envAfterProfile;
  checks.push({
    name: 'environment',
    passed: !envSeen,
    observed: envSeen
      ? `${ISOLATION_ENV} was "${o.envInherited || '(unset)'}" inherited, "${o.envAfterProfile || '(unset)'}" after sourcing profiles`
      : `${ISOLATION_ENV} unset, also after sourcing /tmp/.cl_profile and $HOME/.profile`,
  });
  const others = o.processes.filter((p) => p.pid !== o.self && p.pid !== 1);
  const init = o.processes.find((p) => p.pid === 1);
  checks.push({
    name: 'processes',
    passed: others.length === 0 && o.processes.length > 0,
    observed:
      o.processes.length === 0
        ? 'could not list processes'
        : others.length
          ? `other processes: ${others.map((p) => `${p.pid} ${p.comm}`).join(', ')}`
          : `only this shell (pid ${o.self})${init && o.self !== 1 ? ` and init (pid 1 ${init.comm})` : ''}`,
  });
  const halfFillBytes = (fillMiB * 1024 * 1024) / 2;
  const memProblems: string[] = [];
  if (o.fillFiles.length) memProblems.push(`fill files ${o.fillFiles.join(', ')}`);
  if (o.shmKiB * 1024 >= halfFillBytes) memProblems.push(`/dev/shm holds ${o.shmKiB} KiB`);
  if (Number.isFinite(baselineMemBytes) && o.cgroupMemBytes > baselineMemBytes + halfFillBytes) {
    memProblems.push(`cgroup memory ${(o.cgroupMemBytes / 1048576).toFixed(1)} MiB vs first transaction's ${(baselineMemBytes / 1048576).toFixed(1)} MiB`);
  }
  checks.push({
    name: 'memory',
    passed: memProblems.length === 0,
    observed: memProblems.length
      ? memProblems.join('; ')
      : `no fill file, /dev/shm ${Number.isFinite(o.shmKiB) ? o.shmKiB + ' KiB' : 'n/a'}, cgroup memory ${Number.isFinite(o.cgroupMemBytes) ? (o.cgroupMemBytes / 1048576).toFixed(1) + ' MiB' : 'n/a'}`,
  });
  const leftAll = o.complete && o.left.tmp && o.left.env && o.left.process && o.left.memory;
  checks.push({
    name: 'left traces',
    passed: leftAll,
    observed: `/tmp marker ${o.left.tmp ? 'written' : 'NOT written'}, root filesystem marker ${o.left.root ? 'written' : 'not written (read-only root)'}, env ${o.left.env ? 'set' : 'NOT set'}, background process ${o.left.process ? 'started' : 'NOT started'}, ${fillMiB} MiB memory ${o.left.memory ? 'filled' : 'NOT filled'}${o.complete ? '' : ', script did not finish'}`,
  });
  return { index, passed: checks.every((c) => c.passed), exitCode, checks };
}

/** What running one transaction of the sequence returns. */
export interface IsolationRunOutput {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Set when the transaction did not run to completion. */
  error?: string;
}

/**
 * Run the isolation check: `count` transactions in sequence, each through `execute(script)`.
 * @param execute runs a shell script as one transaction (cold container, pool, or — to prove the
 *   check can fail — one reused container) and returns its output.
 * @param options.count number of transactions (≥ 2).
 * @param options.fillMiB memory each transaction leaves (default 16).
 * @param options.signal stops between transactions (the report then covers those that ran).
 * @throws RangeError when count < 2.
 */
export async function runIsolationCheck(
  execute: (script: string, index: number) => Promise<IsolationRunOutput>,
  options: { count: number; fillMiB?: number; mode: string; image: string; signal?: AbortSignal; onStep?: (step: IsolationStep) => void },
): Promise<IsolationReport> {
  if (!Number.isInteger(options.count) || options.count < 2) throw new RangeError(`the isolation check needs at least 2 transactions, got ${options.count}`);
  const fillMiB = options.fillMiB ?? 16;
  const steps: IsolationStep[] = [];
  let baseline = NaN;
  for (let i = 0; i < options.count && !options.signal?.aborted; i++) {
    const token = `t${i}x${Math.random().toString(36).slice(2, 10)}`;
    const out = await execute(isolationScript(token, fillMiB), i);
    const o = parseObservation(out.stdout);
    if (i === 0) baseline = o.cgroupMemBytes;
    const step = evaluateObservation(i, o, out.exitCode, baseline, fillMiB);
    if (out.error) {
      step.passed = false;
      step.error = out.error;
    }
    steps.push(step);
    options.onStep?.(step);
  }
  const failed = steps.filter((s) => !s.passed);
  const complete = steps.length === options.count;
  const passed = complete && failed.length === 0;
  const failedChecks = new Set<string>();
  for (const s of failed) {
    for (const c of s.checks) if (!c.passed) failedChecks.add(c.name);
    if (s.error) failedChecks.add('transaction error');
  }
  const summary = passed
    ? `PASSED: ${plural(steps.length, `${options.mode} transaction`)} on ${options.image}; none saw a marker file, environment value, background process or memory left by an earlier one.`
    : !complete && failed.length === 0
      ? `INCOMPLETE: cancelled after ${steps.length} of ${plural(options.count, 'transaction')} (no leak seen so far).`
      : `FAILED: ${failed.length} of ${steps.length} ${options.mode} transactions on ${options.image} failed (${[...failedChecks].join(', ')}).`;
  return { passed, mode: options.mode, image: options.image, steps, summary };
}

/** Plain-text rendering: summary, then each transaction's checks with evidence. */
export function formatIsolationText(report: IsolationReport): string {
  const lines = [report.summary, ''];
  for (const s of report.steps) {
    lines.push(`#${s.index + 1} ${s.passed ? 'passed' : 'FAILED'} (exit ${s.exitCode ?? '–'})${s.error ? ` — ${s.error}` : ''}`);
    for (const c of s.checks) lines.push(`   ${c.passed ? 'ok  ' : 'FAIL'} ${c.name}: ${c.observed}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Identity of this process as the owner of throwaway containers (session id, pid, hostname,
 * process start time) and a liveness probe for other owners. Used by the runner (labels) and the
 * sweep (orphan detection).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { OwnerIdentity } from '../core/labels';

/**
 * Start time of a live process, or undefined when no process has that pid.
 * @returns clock ticks since boot as a decimal string on Linux (`/proc/PID/stat` field 22), ''
 *   when the process exists but its start time cannot be read (other OS, no permission).
 */
export function processStartTicks(pid: number): string | undefined {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return undefined; // ESRCH: no such process
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may contain spaces/parens, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? ''; // field 22 overall = index 19 after dropping pid and comm
  } catch {
    return '';
  }
}

/**
 * Identity of the current process as a throwaway-container owner, with a fresh random session id
 * (call once per session and keep it).
 */
export function currentOwner(sessionId: string = randomUUID()): OwnerIdentity {
  return { sessionId, pid: process.pid, hostname: hostname(), startTicks: processStartTicks(process.pid) ?? '' };
}


/**
 * CPU time by process group over a measured window, from /proc/<pid>/stat (Linux only), for the
 * throughput part of bench/transactions: which processes spend the CPU of a cold transaction.
 *
 * /proc is polled every `intervalMs` (default 50 ms) while the window is open; each process (keyed
 * by pid + start time) contributes utime+stime at its last sample minus at its first sample in the
 * window (or minus 0 when it started inside the window), plus its cutime+cstime growth
 * (children it reaped, e.g. runc reaped by the shim). Short-lived processes are therefore caught when they live longer than one poll (a
 * containerd-shim lives for the whole container); what a process spent after its last sample is
 * missed — the report's "unattributed" is machine busy time (/proc/stat) minus the attributed sum,
 * i.e. other users of the machine plus what the polling missed. The poller's own CPU (measured with
 * process.cpuUsage around each poll) is subtracted from this process's figure and reported apart.
 * Units: ms of CPU time. Clock ticks assumed 100/s (USER_HZ on every Linux build in practice).
 */
import * as fs from 'node:fs';

const TICK_MS = 10;

/** Process groups reported. */
const CPU_GROUPS = ['dockerd', 'containerd', 'containerd-shim', 'runc', 'docker CLI', 'this process', 'kernel threads', 'container processes', 'network hook', 'other'] as const;
export type CpuGroup = (typeof CPU_GROUPS)[number];

interface Sample {
  group: CpuGroup;
  first: number;
  last: number;
  childFirst: number;
  childLast: number;
  seenAtStart: boolean;
}

/** CPU ms by group over one window, and the machine's busy ms over it. */
export interface CpuWindow {
  byGroup: Record<CpuGroup, number>;
  /** Processes of each group that started inside the window and lived through at least one poll. */
  startedByGroup: Record<CpuGroup, number>;
  machineBusyMs: number;
  pollerMs: number;
}

/**
 * Docker's network prestart hook: runc runs `/proc/<dockerd>/exe libnetwork-setkey …` (comm `exe`)
 * for every container with a network sandbox (every network mode but `Config.NetworkDisabled`).
 * Its CPU is also in its reaper's cutime (runc, then the shim), so the group is shown apart and
 * kept out of totals.
 */
function isNetworkHook(pid: number, comm: string): boolean {
  if (comm !== 'exe') return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('libnetwork-setkey');
  } catch {
    return false;
  }
}

function groupOf(pid: number, comm: string, ppid: number): CpuGroup {
  if (pid === process.pid) return 'this process';
  if (isNetworkHook(pid, comm)) return 'network hook';
  if (comm === 'dockerd') return 'dockerd';
  if (comm === 'containerd') return 'containerd';
  if (comm.startsWith('containerd-shim')) return 'containerd-shim';
  if (comm.startsWith('runc')) return 'runc';
  if (comm === 'docker') return 'docker CLI';
  if (pid === 2 || ppid === 2) return 'kernel threads';
  if (comm === 'true' || comm === 'sh') return 'container processes';
  return 'other';
}

function machineBusyTicks(): number {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return f.slice(0, 8).reduce((a, b) => a + b, 0) - f[3] - f[4];
}

/** True when /proc can be read (Linux). */
export function procCpuAvailable(): boolean {
  try {
    machineBusyTicks();
    return true;
  } catch {
    return false;
  }
}

/** Polls /proc while open; `stop()` returns the window's figures. */
export class ProcCpuWindow {
  private samples = new Map<string, Sample>();
  private timer: NodeJS.Timeout | undefined;
  private pollerUs = 0;
  private busy0: number;
  private first = true;

  constructor(private readonly intervalMs = 50) {
    this.busy0 = machineBusyTicks();
    this.poll();
    this.first = false;
    this.timer = setInterval(() => this.poll(), this.intervalMs);
  }

  private poll(): void {
    const c0 = process.cpuUsage();
    let entries: string[] = [];
    try {
      entries = fs.readdirSync('/proc');
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.charCodeAt(0) < 48 || e.charCodeAt(0) > 57) continue;
      let text: string;
      try {
        text = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      } catch {
        continue; // exited meanwhile
      }
      const close = text.lastIndexOf(')');
      const comm = text.slice(text.indexOf('(') + 1, close);
      const f = text.slice(close + 2).split(' '); // f[0] = state (field 3)
      const ppid = Number(f[1]);
      const own = Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
      const children = Number(f[13]) + Number(f[14]); // cutime, cstime (16, 17)
      const key = `${e}:${f[19]}`; // starttime (field 22)
      const s = this.samples.get(key);
      if (s) {
        s.last = own;
        s.childLast = children;
      } else {
        const seen = this.first;
        this.samples.set(key, { group: groupOf(Number(e), comm, ppid), first: seen ? own : 0, last: own, childFirst: children, childLast: children, seenAtStart: seen });
      }
    }
    const d = process.cpuUsage(c0);
    this.pollerUs += d.user + d.system;
  }

  /** Close the window (one last poll) and sum by group. */
  stop(): CpuWindow {
    if (this.timer) clearInterval(this.timer);
    this.poll();
    const zeros = () => Object.fromEntries(CPU_GROUPS.map((g) => [g, 0])) as Record<CpuGroup, number>;
    const byGroup = zeros();
    const startedByGroup = zeros();
    for (const s of this.samples.values()) {
      if (!s.seenAtStart) startedByGroup[s.group]++;
      byGroup[s.group] += (s.last - s.first) * TICK_MS;
      byGroup[s.group] += (s.childLast - (s.seenAtStart ? s.childFirst : 0)) * TICK_MS;
    }
    const pollerMs = this.pollerUs / 1000;
    byGroup['this process'] = Math.max(0, byGroup['this process'] - pollerMs);
    return { byGroup, startedByGroup, machineBusyMs: (machineBusyTicks() - this.busy0) * TICK_MS, pollerMs };
  }
}

/**
 * Formulas turning one Engine API stats sample (`GET /containers/{id}/stats`) into the numbers
 * `docker stats` shows. Source for every formula: the docker CLI,
 * `cli/command/container/stats_helpers.go` (calculateCPUPercentUnix, calculateMemUsageUnixNoCache,
 * calculateMemPercentUnixNoCache, calculateBlockIO, calculateNetwork). Works on cgroup v1 and v2
 * samples. Pure: no engine, no VS Code.
 */

/** CPU block of a stats sample (cgroup v1 and v2 share this shape; v2 has no `percpu_usage`). */
export interface EngineCpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null; usage_in_kernelmode?: number; usage_in_usermode?: number };
  /** Host CPU time in ns summed over all CPUs; absent on a zeroed sample. */
  system_cpu_usage?: number;
  online_cpus?: number;
}

/** The subset of the Engine API stats response these formulas read. Unknown fields are ignored. */
export interface EngineStatsSample {
  read?: string;
  preread?: string;
  name?: string;
  id?: string;
  pids_stats?: { current?: number; limit?: number };
  blkio_stats?: { io_service_bytes_recursive?: Array<{ major?: number; minor?: number; op?: string; value?: number }> | null };
  cpu_stats?: EngineCpuStats;
  precpu_stats?: EngineCpuStats;
  memory_stats?: { usage?: number; max_usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
}

/** Numbers derived from one sample (what `docker stats` prints per column). */
export interface StatsSummary {
  /** Sample time (ISO 8601 from the engine's `read`). */
  read: string;
  /** CPU % where 100 = one CPU fully busy (up to online CPUs × 100). */
  cpuPercent: number;
  /** Memory in use minus inactive page cache, bytes. */
  memoryBytes: number;
  /** Memory limit of the container (or host memory when unlimited), bytes; 0 when unknown. */
  memoryLimitBytes: number;
  /** memoryBytes / memoryLimitBytes × 100; 0 when the limit is unknown. */
  memoryPercent: number;
  /** Network bytes received / sent, summed over interfaces. */
  netRxBytes: number;
  netTxBytes: number;
  /** Block bytes read / written, summed over devices. */
  blockReadBytes: number;
  blockWriteBytes: number;
  /** Processes/threads in the container's cgroup. */
  pids: number;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * CPU % as the docker CLI computes it (calculateCPUPercentUnix in stats_helpers.go):
 * Δ`cpu_stats.cpu_usage.total_usage` / Δ`cpu_stats.system_cpu_usage` × online CPUs × 100, where
 * online CPUs is `online_cpus`, falling back to `len(percpu_usage)`. Returns 0 unless both deltas
 * are positive (first sample, idle container, zeroed sample). One guard beyond the CLI: a previous
 * reading without `system_cpu_usage` (the empty `precpu_stats` of `one-shot=true` or of the first
 * streamed sample) gives 0, because subtracting nothing would yield an average since host boot.
 * @param current the sample's `cpu_stats`.
 * @param previous the earlier reading; defaults to the sample's own `precpu_stats`.
 */
export function cpuPercent(current: EngineCpuStats | undefined, previous: EngineCpuStats | undefined): number {
  if (!previous?.system_cpu_usage) return 0;
  const cpuDelta = (current?.cpu_usage?.total_usage ?? 0) - (previous?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (current?.system_cpu_usage ?? 0) - (previous?.system_cpu_usage ?? 0);
  let onlineCpus = current?.online_cpus ?? 0;
  if (onlineCpus === 0) onlineCpus = current?.cpu_usage?.percpu_usage?.length ?? 0;
  if (systemDelta > 0 && cpuDelta > 0) return (cpuDelta / systemDelta) * onlineCpus * 100;
  return 0;
}

/**
 * Memory in use without the inactive page cache, bytes (calculateMemUsageUnixNoCache in
 * stats_helpers.go): `usage − stats.total_inactive_file` on cgroup v1, `usage − stats.inactive_file`
 * on cgroup v2, each only when smaller than `usage`; otherwise `usage`.
 */
export function memoryUsageBytes(memory: EngineStatsSample['memory_stats']): number {
  const usage = memory?.usage ?? 0;
  const stats = memory?.stats ?? {};
  const v1 = stats['total_inactive_file'];
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = stats['inactive_file'];
  if (v2 !== undefined && v2 < usage) return usage - v2;
  return usage;
}

/**
 * Memory % (calculateMemPercentUnixNoCache in stats_helpers.go): used / limit × 100; 0 when the
 * limit is 0 (the engine reports 0 only when the container is not running).
 */
export function memoryPercent(usedBytes: number, limitBytes: number): number {
  return limitBytes !== 0 ? (usedBytes / limitBytes) * 100 : 0;
}

/**
 * Block I/O (calculateBlockIO in stats_helpers.go): sums `blkio_stats.io_service_bytes_recursive`
 * entries by op, where an op starting with r/R counts as read and w/W as write (v1 says "Read",
 * v2 "read"); other ops ("Sync", "Total", …) are ignored. `null` lists (stopped container) give 0.
 */
export function blockIo(blkio: EngineStatsSample['blkio_stats']): { readBytes: number; writeBytes: number } {
  let readBytes = 0;
  let writeBytes = 0;
  for (const entry of blkio?.io_service_bytes_recursive ?? []) {
    const op = entry.op ?? '';
    if (op[0] === 'r' || op[0] === 'R') readBytes += entry.value ?? 0;
    else if (op[0] === 'w' || op[0] === 'W') writeBytes += entry.value ?? 0;
  }
  return { readBytes, writeBytes };
}

/** Network I/O (calculateNetwork in stats_helpers.go): `rx_bytes` and `tx_bytes` summed over all interfaces. */
export function networkIo(networks: EngineStatsSample['networks']): { rxBytes: number; txBytes: number } {
  let rxBytes = 0;
  let txBytes = 0;
  for (const net of Object.values(networks ?? {})) {
    rxBytes += net.rx_bytes ?? 0;
    txBytes += net.tx_bytes ?? 0;
  }
  return { rxBytes, txBytes };
}

/**
 * True when the sample carries no readings: the engine answers this way for a container that is
 * not running (`read` is the zero time `0001-01-01T00:00:00Z`, no `system_cpu_usage`, empty
 * `memory_stats`). Such samples must be ignored, not drawn as 0 %.
 */
export function isZeroedSample(sample: EngineStatsSample): boolean {
  if (!sample.read || sample.read === ZERO_TIME) return true;
  return !sample.cpu_stats?.system_cpu_usage && !sample.memory_stats?.usage;
}

/**
 * All `docker stats` columns for one sample, or undefined for a zeroed sample.
 * @param sample one decoded stats JSON object.
 * @param previous the previous sample's `cpu_stats` for streaming; defaults to `precpu_stats`
 *   (which is empty for `one-shot=true`, giving CPU 0 %).
 */
export function summarizeSample(sample: EngineStatsSample, previous?: EngineCpuStats): StatsSummary | undefined {
  if (isZeroedSample(sample)) return undefined;
  const memoryBytes = memoryUsageBytes(sample.memory_stats);
  const memoryLimitBytes = sample.memory_stats?.limit ?? 0;
  const block = blockIo(sample.blkio_stats);
  const net = networkIo(sample.networks);
  return {
    read: sample.read ?? '',
    cpuPercent: cpuPercent(sample.cpu_stats, previous ?? sample.precpu_stats),
    memoryBytes,
    memoryLimitBytes,
    memoryPercent: memoryPercent(memoryBytes, memoryLimitBytes),
    netRxBytes: net.rxBytes,
    netTxBytes: net.txBytes,
    blockReadBytes: block.readBytes,
    blockWriteBytes: block.writeBytes,
    pids: sample.pids_stats?.current ?? 0,
  };
}

/**
 * Built-in overhead workloads: the same script runs on the host (with the host's busybox, the
 * same static binary the busybox base image is made from) and inside a container of the chosen
 * image, so the comparison is of the same code on the same kernel. Pure data and parsing; the
 * engine work is in `src/engine/overhead.ts`.
 *
 * Self-timed workloads print the wall clock before and after the work with busybox `adjtimex`
 * (microsecond resolution, readable without privileges), so the measured time excludes process
 * spawn / `exec` set-up, which the lifecycle part of the experiment measures separately.
 */

export type WorkloadId = 'cpu' | 'memory' | 'io' | 'net' | 'custom';
export const WORKLOAD_IDS: readonly WorkloadId[] = ['cpu', 'memory', 'io', 'net', 'custom'];

/** Where one series runs. */
export type Side = 'host' | 'container';

/**
 * One series of the experiment. The first variant of every workload is the host baseline; the
 * others are compared with it.
 */
export interface VariantSpec {
  /** Stable id, e.g. "host", "container", "container-tmpfs". */
  id: string;
  /** Human label, e.g. "container (tmpfs)". */
  label: string;
  side: Side;
  /** Directory the io workload works in (`CL_DIR`); for the host a temp dir is used. */
  workDir?: string;
  /** Mount a tmpfs at `workDir`. */
  tmpfs?: boolean;
  /** Mount an anonymous volume at `workDir` (removed with the container). */
  volume?: boolean;
  /**
   * How the net workload reaches the container: `bridge` = port published on 127.0.0.1 (the
   * engine's NAT / userland proxy path), `bridge-ip` = the container's bridge IP directly (no NAT),
   * `host` = host network namespace.
   */
  network?: 'bridge' | 'bridge-ip' | 'host';
}

/** How a repetition's value is obtained. */
export type Measure =
  /** the script prints `adjtimex` before and after the work; value = difference. */
  | 'self-timed'
  /** the client-observed time from spawn / exec start to exit (custom commands). */
  | 'wall'
  /** mean request/response round trip over one TCP connection to a busybox echo server (TCP_RR). */
  | 'request-latency';

export interface WorkloadSpec {
  id: WorkloadId;
  title: string;
  /** What one repetition does and what its value means, in plain words (shown in reports). */
  description: string;
  measure: Measure;
  /** Shell script body (busybox sh) for self-timed workloads; uses `$CL_DIR` for io. */
  script?: string;
  variants: VariantSpec[];
}

/** Parameters of the built-in workloads (defaults sized to take ~0.3 s each on a 2-core VM). */
export interface WorkloadSizes {
  /** awk loop iterations for cpu. */
  cpuIterations: number;
  /** MiB copied through a pipe for memory. */
  memoryMiB: number;
  /** Small files created, read back and removed for io. */
  ioFiles: number;
  /** Request/response round trips per repetition for net. */
  netRequests: number;
}

export const DEFAULT_SIZES: WorkloadSizes = { cpuIterations: 1_000_000, memoryMiB: 512, ioFiles: 300, netRequests: 200 };

/** Container path used by the io workload (writable layer unless a tmpfs/volume is mounted there). */
export const IO_DIR_LAYER = '/cl-overhead-io';
export const IO_DIR_TMPFS = '/cl-overhead-tmpfs';
export const IO_DIR_VOLUME = '/cl-overhead-volume';
/** Port the busybox echo server listens on inside a bridge-networked container. */
export const NET_CONTAINER_PORT = 8080;

/** The two plain series: host baseline and one container. */
function hostAndContainer(): VariantSpec[] {
  return [
    { id: 'host', label: 'host', side: 'host' },
    { id: 'container', label: 'container', side: 'container' },
  ];
}

/**
 * The built-in workload definitions (custom is built by {@link customWorkload}).
 * @throws RangeError for an unknown id or "custom".
 */
export function builtinWorkload(id: WorkloadId, sizes: WorkloadSizes = DEFAULT_SIZES): WorkloadSpec {
  switch (id) {
    case 'cpu':
      return {
        id,
        title: 'CPU-bound loop',
        description: `busybox awk arithmetic loop of ${sizes.cpuIterations} iterations; value = in-process wall time (ms)`,
        measure: 'self-timed',
        script: `awk 'BEGIN { s = 0; for (i = 0; i < ${Math.floor(sizes.cpuIterations)}; i++) s += i % 7; print s }'`,
        variants: hostAndContainer(),
      };
    case 'memory':
      return {
        id,
        title: 'Memory-bandwidth copy',
        description: `${sizes.memoryMiB} MiB copied through a pipe with busybox dd (1 MiB blocks); value = wall time (ms)`,
        measure: 'self-timed',
        script: `dd if=/dev/zero bs=1048576 count=${Math.floor(sizes.memoryMiB)} 2>/dev/null | dd of=/dev/null bs=1048576 2>/dev/null`,
        variants: hostAndContainer(),
      };
    case 'io':
      return {
        id,
        title: 'Small-file I/O',
        description: `create ${sizes.ioFiles} small files, read them back, delete them; writable layer (overlay2) vs tmpfs vs volume; value = wall time (ms)`,
        measure: 'self-timed',
        script:
          `mkdir -p "$CL_DIR" && cd "$CL_DIR" && i=0; while [ $i -lt ${Math.floor(sizes.ioFiles)} ]; do ` +
          `echo "small file $i with some content" > f$i; i=$((i+1)); done; cat f* > /dev/null; rm -f f*`,
        variants: [
          { id: 'host', label: 'host', side: 'host' },
          { id: 'container', label: 'container (writable layer)', side: 'container', workDir: IO_DIR_LAYER },
          { id: 'container-tmpfs', label: 'container (tmpfs)', side: 'container', workDir: IO_DIR_TMPFS, tmpfs: true },
          { id: 'container-volume', label: 'container (volume)', side: 'container', workDir: IO_DIR_VOLUME, volume: true },
        ],
      };
    case 'net':
      return {
        id,
        title: 'Loopback request/response',
        description: `${sizes.netRequests} request/response round trips of 32 bytes over one TCP connection from this process to a busybox echo server (nc -e cat), like netperf TCP_RR; value = median round trip (ms)`,
        measure: 'request-latency',
        variants: [
          { id: 'host', label: 'host', side: 'host' },
          { id: 'container-bridge', label: 'container (bridge, NAT port)', side: 'container', network: 'bridge' },
          { id: 'container-bridge-ip', label: 'container (bridge IP, no NAT)', side: 'container', network: 'bridge-ip' },
          { id: 'container-hostnet', label: 'container (host network)', side: 'container', network: 'host' },
        ],
      };
    default:
      throw new RangeError(`unknown built-in workload "${id}"; use one of cpu, memory, io, net (or custom with a command)`);
  }
}

/** A custom workload: `command` runs in the container, `hostCommand` (default: the same) on the host. */
export function customWorkload(command: readonly string[], hostCommand?: readonly string[]): WorkloadSpec & { command: string[]; hostCommand: string[] } {
  if (command.length === 0) throw new RangeError('a custom workload needs a command, e.g. -- sh -c "…"');
  return {
    id: 'custom',
    title: 'Custom command',
    description: 'client-observed time from process spawn (host) / exec start (container) to exit (ms); includes exec set-up',
    measure: 'wall',
    command: [...command],
    hostCommand: [...(hostCommand && hostCommand.length ? hostCommand : command)],
    variants: hostAndContainer(),
  };
}

/**
 * Wrap a script so it prints the wall clock (busybox `adjtimex`) before and after running it,
 * discarding the script's stdout and keeping its exit status.
 */
export function selfTimedScript(body: string): string {
  return `adjtimex; { ${body} ; } >/dev/null; rc=$?; adjtimex; exit $rc`;
}

/** STA_NANO in the adjtimex status word: `time.tv_usec` then holds nanoseconds (linux/timex.h). */
const STA_NANO = 0x2000;

/**
 * Elapsed ms between the first and the last `adjtimex` readings in a self-timed script's output
 * (`status: N` / `time.tv_sec: S` / `time.tv_usec: U` lines). When the kernel clock runs in
 * nanosecond mode (status has STA_NANO, 0x2000, as set by chronyd/ntpd on many hosts), the
 * field busybox labels `tv_usec` holds nanoseconds (adjtimex(2), "struct timex").
 * @throws Error when fewer than two readings are present (the image has no busybox adjtimex).
 */
export function parseSelfTime(output: string): number {
  const readings: number[] = [];
  const re = /(?:status:\s*(\d+)[^\n]*\n(?:[^\n]*\n)*?)?\s*time\.tv_sec:\s*(\d+)\s*\n\s*time\.tv_usec:\s*(\d+)/g;
  for (let m = re.exec(output); m; m = re.exec(output)) {
    const nano = m[1] !== undefined && (Number(m[1]) & STA_NANO) !== 0;
    const fractionUs = nano ? Number(m[3]) / 1000 : Number(m[3]);
    readings.push(Number(m[2]) * 1e6 + fractionUs);
  }
  if (readings.length < 2) {
    throw new Error('the workload printed no timing (busybox adjtimex missing?): built-in workloads need a busybox-based image such as busybox:latest');
  }
  return (readings[readings.length - 1] - readings[0]) / 1000;
}

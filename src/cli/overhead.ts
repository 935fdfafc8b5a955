/**
 * `container-lineage overhead IMAGE --workload cpu|memory|io|net|custom [-n N] [--warmups W]
 *   [--lifecycle L] [--json] [--host-cmd "CMD"] [-- CMD…]`
 *
 * Runs the overhead experiment (`src/engine/overhead.ts`) and prints the same report as the
 * "Container Overhead" panel (text, or the report object as JSON). Ctrl-C cancels: the
 * experiment's containers are removed and the partial report is printed; exit code 130.
 */
import { reportToText } from '../core/overheadReport';
import { WORKLOAD_IDS, type WorkloadId } from '../core/workloads';
import { connectCli } from './connect';
import { runOverheadExperiment } from '../engine/overhead';

export const USAGE = `usage: container-lineage overhead IMAGE --workload cpu|memory|io|net|custom [options] [-- CMD…]

Runs the same workload on the host and in containers of IMAGE (alternating, after warm-ups),
measures the container lifecycle (create/start/exec/stop/remove, cold vs warm pool), and prints
median, p95, min and the container/host ratio of medians with a 95% bootstrap interval.

options:
  -w, --workload W   cpu | memory | io | net | custom (default cpu)
  -n N               measured repetitions per series (default 10)
  --warmups W        warm-up rounds, discarded (default 1)
  --lifecycle L      cold and warm lifecycle runs each (default 5; 0 to skip)
  --mode exec|run    container side: exec in a running container (default) or a fresh container per run
  --host-cmd "CMD"   custom workload: shell command line for the host side (run with /bin/sh -c;
                     default: the same argv as CMD)
  --json             print the report as JSON
  -- CMD…            custom workload: the command run in the container (and on the host)

Built-in workloads need busybox on the host (Debian: busybox-static) and in the image.`;

interface ParsedArgs {
  image: string;
  workload: WorkloadId;
  n: number;
  warmups: number;
  lifecycle: number;
  mode: 'exec' | 'run';
  json: boolean;
  command: string[];
  hostCommand?: string[];
}

/**
 * Parse the subcommand's arguments.
 * @throws Error with a message naming the bad argument.
 */
export function parseOverheadArgs(args: string[]): ParsedArgs {
  const out: ParsedArgs = { image: '', workload: 'cpu', n: 10, warmups: 1, lifecycle: 5, mode: 'exec', json: false, command: [] };
  const int = (name: string, v: string | undefined, min: number): number => {
    const x = Number(v);
    if (v === undefined || !Number.isInteger(x) || x < min) throw new Error(`${name} needs a whole number ≥ ${min}, got "${v ?? ''}"`);
    return x;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      out.command = args.slice(i + 1);
      break;
    } else if (a === '-w' || a === '--workload') {
      const w = args[++i] as WorkloadId;
      if (!WORKLOAD_IDS.includes(w)) throw new Error(`--workload must be one of ${WORKLOAD_IDS.join(', ')}, got "${w ?? ''}"`);
      out.workload = w;
    } else if (a.startsWith('--workload=')) {
      return parseOverheadArgs([...args.slice(0, i), '--workload', a.slice(11), ...args.slice(i + 1)]);
    } else if (a === '-n') out.n = int('-n', args[++i], 1);
    else if (a === '--warmups') out.warmups = int('--warmups', args[++i], 0);
    else if (a === '--lifecycle') out.lifecycle = int('--lifecycle', args[++i], 0);
    else if (a === '--mode') {
      const m = args[++i];
      if (m !== 'exec' && m !== 'run') throw new Error(`--mode must be exec or run, got "${m ?? ''}"`);
      out.mode = m;
    } else if (a === '--host-cmd') {
      const c = args[++i];
      if (!c) throw new Error('--host-cmd needs a shell command line, e.g. --host-cmd "python3 work.py"');
      out.hostCommand = ['/bin/sh', '-c', c];
    } else if (a === '--json') out.json = true;
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else if (!out.image) out.image = a;
    else throw new Error(`unexpected argument "${a}" (put the custom command after --)`);
  }
  if (!out.image) throw new Error('an IMAGE is required, e.g. container-lineage overhead busybox:latest --workload cpu');
  if (out.workload === 'custom' && out.command.length === 0) throw new Error('--workload custom needs a command after --, e.g. -- sh -c "…"');
  if (out.workload !== 'custom' && (out.command.length || out.hostCommand)) throw new Error('a command (-- CMD / --host-cmd) is only used with --workload custom');
  return out;
}

/** Entry of the subcommand; returns the exit code (0 ok, 2 usage, 1 failure, 130 cancelled). */
export async function run(args: string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  let parsed: ParsedArgs;
  try {
    parsed = parseOverheadArgs(args);
  } catch (err) {
    process.stderr.write(`container-lineage overhead: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const engine = await connectCli('overhead');
  if (!engine) return 1;
  const ctl = new AbortController();
  const onSigint = () => {
    process.stderr.write('\ncancelling: removing the experiment containers…\n');
    ctl.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const tty = process.stderr.isTTY;
  try {
    const report = await runOverheadExperiment(engine.docker(), {
      image: parsed.image,
      workload: parsed.workload,
      n: parsed.n,
      warmups: parsed.warmups,
      lifecycleRuns: parsed.lifecycle,
      containerMode: parsed.mode,
      command: parsed.command,
      hostCommand: parsed.hostCommand,
      signal: ctl.signal,
      onProgress: (p) => {
        if (tty) process.stderr.write(`\r\x1b[K[${p.done}/${p.total}] ${p.message}`);
      },
    });
    if (tty) process.stderr.write('\r\x1b[K');
    process.stdout.write(parsed.json ? JSON.stringify(report, null, 2) + '\n' : reportToText(report));
    return report.cancelled ? 130 : 0;
  } catch (err) {
    if (tty) process.stderr.write('\r\x1b[K');
    process.stderr.write(`container-lineage overhead: ${(err as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    engine.dispose();
  }
}

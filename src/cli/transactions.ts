/**
 * `container-lineage transactions IMAGE -n N -c C [--pool K | --warm] [--json] [--] CMD…`: run N
 * transactions (each in a fresh container, or a warm-pool container used once; `--warm` = a pool
 * of C) with concurrency C
 * and print the report: count, failures, throughput, per-phase p50/p95/p99 (ms).
 * `--isolation` runs the isolation check instead (N transactions in sequence; no CMD).
 * Exit codes: 0 all succeeded (isolation: passed); 3 some failed (isolation: failed); 130
 * cancelled; 2 bad usage; 1 no engine or the pool could not start.
 */
import { formatBatchText } from '../core/batch';
import { formatIsolationText } from '../core/isolation';
import { runBatch } from '../engine/batch';
import { checkIsolation } from '../engine/isolation';
import { COMMON_USAGE, UsageError, abortOnSignals, numberOption, openRunner, usageErrorExit, parseOurs, securityFrom, } from './throwaway-options';

const USAGE = `usage: container-lineage transactions IMAGE [-n N] [-c C] [--pool K | --warm] [--json] -- CMD [ARG…]
       container-lineage transactions IMAGE --isolation [-n N] [--pool K] [--json]
  Runs N transactions of CMD (default 20) with at most C at once (default 4), each in a fresh
  throwaway container, or with --pool K in a container taken from a warm pool of K pre-started ones
  (each used once). Prints count, failures, throughput and per-phase p50/p95/p99 in ms.
  --isolation runs the isolation check: N transactions in sequence, each leaving a marker file, an
  environment value, a background process and memory, each verifying it sees none of the earlier ones.
  -n N                     number of transactions
  -c C                     concurrency
  --pool K                 warm pool size (0 = cold, the default)
  --warm                   warm pool sized to the concurrency (the same as --pool C)
  --json                   print the report as JSON
${COMMON_USAGE}`;

/** Run the subcommand; returns the exit code. */
export async function run(args: string[]): Promise<number> {
  const err = (line: string) => process.stderr.write(`${line}\n`);
  let image: string;
  let cmd: string[];
  let parsed;
  let opts;
  let count: number;
  let concurrency: number;
  let poolSize: number;
  try {
    const extra = {
      n: { type: 'string', short: 'n' },
      c: { type: 'string', short: 'c' },
      pool: { type: 'string' },
      warm: { type: 'boolean' },
      json: { type: 'boolean' },
      isolation: { type: 'boolean' },
    } as const;
    // Options may follow the image, so the command must come after `--`.
    const dd = args.indexOf('--');
    const ours = dd < 0 ? args : args.slice(0, dd);
    const after = dd < 0 ? undefined : args.slice(dd + 1);
    parsed = parseOurs(ours, extra);
    if (parsed.values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const [img, ...rest] = parsed.positionals;
    if (rest.length) throw new UsageError(`unexpected arguments: ${rest.join(' ')} (put the command after --)`);
    cmd = after ?? [];
    if (!img) throw new UsageError('an IMAGE is required, e.g. container-lineage transactions busybox:latest -n 20 -c 4 -- true');
    if (!parsed.values.isolation && cmd.length === 0) throw new UsageError('a command is required after the image (or use --isolation)');
    image = img;
    count = numberOption('n', parsed.values.n as string | undefined, 20);
    concurrency = numberOption('c', parsed.values.c as string | undefined, 4);
    if (parsed.values.warm && parsed.values.pool !== undefined) throw new UsageError('give either --pool K or --warm (a pool of C), not both');
    poolSize = parsed.values.warm ? concurrency : numberOption('pool', parsed.values.pool as string | undefined, 0);
    if (count < 1) throw new UsageError('-n must be at least 1');
    if (concurrency < 1) throw new UsageError('-c must be at least 1');
    if (parsed.values.isolation && count < 2) throw new UsageError('the isolation check needs -n 2 or more');
    opts = securityFrom(parsed.values);
  } catch (e) {
    return usageErrorExit('transactions', USAGE, e);
  }
  const opened = await openRunner('transactions', err);
  if (!opened) return 1;
  const controller = new AbortController();
  const unhook = abortOnSignals(controller, err);
  const json = !!parsed.values.json;
  try {
    if (parsed.values.isolation) {
      const report = await checkIsolation(opened.runner, {
        image,
        count,
        poolSize,
        security: opts.security,
        timeoutMs: opts.timeoutMs,
        signal: controller.signal,
        onStep: (s) => {
          if (!json) err(`#${s.index + 1} ${s.passed ? 'passed' : 'FAILED'}`);
        },
      });
      process.stdout.write(json ? JSON.stringify(report, null, 2) + '\n' : formatIsolationText(report));
      return controller.signal.aborted ? 130 : report.passed ? 0 : 3;
    }
    const isTty = process.stderr.isTTY;
    const { report } = await runBatch(opened.runner, {
      image,
      cmd,
      count,
      concurrency,
      poolSize,
      env: opts.env,
      security: opts.security,
      timeoutMs: opts.timeoutMs,
      signal: controller.signal,
      onProgress: (done, total) => {
        if (isTty && !json) process.stderr.write(`\r${done}/${total} transactions`);
      },
    });
    if (isTty && !json) process.stderr.write('\n');
    process.stdout.write(json ? JSON.stringify(report, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n' : formatBatchText(report));
    if (report.cancelled) return 130;
    return report.failures > 0 ? 3 : 0;
  } catch (e) {
    if (e instanceof RangeError || /not on the engine|pool/.test((e as Error).message)) {
      err(`container-lineage transactions: ${(e as Error).message}`);
      return 1;
    }
    throw e;
  } finally {
    unhook();
    await opened.close();
  }
}

/**
 * `container-lineage run [options] IMAGE [--] CMD…`: run one command as a transaction in a fresh
 * throwaway container (secure defaults), stream its stdout/stderr as they arrive, remove the
 * container, and exit with the command's exit code.
 * Exit codes: the command's own; 124 timed out; 125 the engine refused (bad image…); 130
 * cancelled (Ctrl-C); 2 bad usage; 1 no engine.
 */
import { COMMON_USAGE, UsageError, abortOnSignals, openRunner, usageErrorExit, parseOurs, securityFrom, splitCommandLine, valueOptionNames, COMMON_OPTIONS } from './throwaway-options';

const USAGE = `usage: container-lineage run [options] IMAGE [--] CMD [ARG…]
  Runs CMD in a fresh throwaway container of IMAGE, streams its output, removes the container
  whatever happens, and exits with CMD's exit code (124 timeout, 125 engine error, 130 cancelled).
  -t, --tty                allocate a TTY (raw output, stdout only)
  --timings                print phase timings (ms) to stderr afterwards
${COMMON_USAGE}`;

/** Run the subcommand; returns the exit code. */
export async function run(args: string[]): Promise<number> {
  const err = (line: string) => process.stderr.write(`${line}\n`);
  let image: string;
  let cmd: string[];
  let parsed;
  let opts;
  try {
    const extra = { tty: { type: 'boolean', short: 't' }, timings: { type: 'boolean' } } as const;
    const { ours, cmd: after } = splitCommandLine(args, valueOptionNames({ ...COMMON_OPTIONS, ...extra }));
    parsed = parseOurs(ours, extra);
    if (parsed.values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const [img, ...rest] = parsed.positionals;
    if (rest.length) throw new UsageError(`unexpected arguments before --: ${rest.join(' ')}`);
    cmd = after ?? [];
    if (!img || cmd.length === 0) throw new UsageError('an IMAGE and a command are required, e.g. container-lineage run busybox:latest -- echo hi');
    image = img;
    opts = securityFrom(parsed.values);
  } catch (e) {
    return usageErrorExit('run', USAGE, e);
  }
  const opened = await openRunner('run', err);
  if (!opened) return 1;
  const controller = new AbortController();
  const unhook = abortOnSignals(controller, err);
  try {
    const r = await opened.runner.run({
      image,
      cmd,
      tty: !!parsed.values.tty,
      env: opts.env,
      security: opts.security,
      timeoutMs: opts.timeoutMs,
      signal: controller.signal,
      collect: false,
      onOutput: (stream, bytes) => (stream === 'stdout' ? process.stdout : process.stderr).write(bytes),
    });
    if (parsed.values.timings) {
      const t = r.timings;
      err(`timings (ms): create ${t.create.toFixed(1)}, start ${t.start.toFixed(1)}, run ${t.run.toFixed(1)}, remove ${t.remove.toFixed(1)}, total ${t.total.toFixed(1)}`);
    }
    if (r.error) err(`container-lineage run: ${r.error}`);
    switch (r.status) {
      case 'exited':
        return r.exitCode ?? 125;
      case 'timeout':
        return 124;
      case 'cancelled':
        return 130;
      default:
        return 125;
    }
  } finally {
    unhook();
    await opened.close();
  }
}

/**
 * `container-lineage logs [-f] [--tail N] [-t] CONTAINER`: print a container's logs (stdout to
 * stdout, stderr to stderr), following new output with -f until the container stops or Ctrl-C.
 * Exit codes: 0 done; 1 no engine; 2 bad usage; 125 no such container or an engine error;
 * 130 stopped by Ctrl-C while following.
 */
import { parseArgs } from 'node:util';
import { connectCli } from './connect';
import { readLogs } from '../engine/logs';

const USAGE = `usage: container-lineage logs [options] CONTAINER
  Prints the logs of a container (ID or name), like docker logs.
  -f, --follow        keep printing new output until the container stops (Ctrl-C to stop)
  --tail N            only the last N lines written so far
  -t, --timestamps    prefix each line with its time (RFC 3339)
`;

/** Run the subcommand; returns the exit code. */
export async function run(args: string[]): Promise<number> {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args,
      options: { follow: { type: 'boolean', short: 'f' }, tail: { type: 'string' }, timestamps: { type: 'boolean', short: 't' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    }));
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (positionals.length !== 1) throw new Error(positionals.length ? `one CONTAINER, not ${positionals.length}` : 'a CONTAINER (ID or name) is required');
    if (values.tail !== undefined && !/^\d+$/.test(values.tail)) throw new Error(`--tail takes a whole number of lines, not ${values.tail}`);
  } catch (e) {
    process.stderr.write(`container-lineage logs: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const engine = await connectCli('logs');
  if (!engine) return 1;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const end = await readLogs(engine.docker(), positionals[0], {
      follow: !!values.follow,
      tail: values.tail === undefined ? undefined : Number(values.tail),
      timestamps: !!values.timestamps,
      signal: controller.signal,
      onData: (stream, bytes) => (stream === 'stdout' ? process.stdout : process.stderr).write(bytes),
    });
    return end.reason === 'cancelled' ? 130 : 0;
  } catch (err) {
    process.stderr.write(`container-lineage logs: ${err instanceof Error ? err.message : String(err)}\n`);
    return 125;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    engine.dispose();
  }
}

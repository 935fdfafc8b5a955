/**
 * `container-lineage exec [-i] [-t] [-e K=V]… [-u USER] [-w DIR] CONTAINER CMD…`: run a command in
 * a running container, like docker exec: output streamed, stdin forwarded with -i, a TTY with -t
 * (raw terminal, resizes forwarded). The container keeps running afterwards.
 * Exit codes: the command's own; 1 no engine; 2 bad usage; 125 no such container, not running,
 * or an engine error.
 */
import { parseArgs } from 'node:util';
import { connectCli } from './connect';
import { execInContainer } from '../engine/exec';
import { splitCommandLine } from './throwaway-options';

const USAGE = `usage: container-lineage exec [options] CONTAINER [--] CMD [ARG…]
  Runs CMD in the running container CONTAINER (ID or name) and exits with its exit code.
  -i, --interactive     forward standard input
  -t, --tty             allocate a TTY (use with -i for a shell: exec -it web sh)
  -e, --env NAME=VALUE  environment variable (repeatable)
  -u, --user USER       run as USER (name or UID[:GID])
  -w, --workdir DIR     working directory inside the container
`;

const OPTIONS = {
  interactive: { type: 'boolean', short: 'i' },
  tty: { type: 'boolean', short: 't' },
  env: { type: 'string', short: 'e', multiple: true },
  user: { type: 'string', short: 'u' },
  workdir: { type: 'string', short: 'w' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Run the subcommand; returns the exit code. */
export async function run(args: string[]): Promise<number> {
  let values;
  let container: string;
  let cmd: string[];
  try {
    const { ours, cmd: after } = splitCommandLine(args, new Set(['env', 'e', 'user', 'u', 'workdir', 'w']));
    const parsed = parseArgs({ args: ours, options: OPTIONS, allowPositionals: true, strict: true });
    values = parsed.values;
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const [c, ...rest] = parsed.positionals;
    cmd = [...rest, ...(after ?? [])];
    if (!c || cmd.length === 0) throw new Error('a CONTAINER and a command are required, e.g. container-lineage exec web -- ls /');
    container = c;
    for (const e of values.env ?? []) if (!/^[^=]+=/.test(e)) throw new Error(`--env takes NAME=VALUE, not ${e}`);
  } catch (e) {
    process.stderr.write(`container-lineage exec: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const engine = await connectCli('exec');
  if (!engine) return 1;
  const tty = !!values.tty;
  const interactive = !!values.interactive;
  const stdin = process.stdin;
  const raw = tty && interactive && stdin.isTTY;
  try {
    const session = await execInContainer(engine.docker(), container, {
      cmd,
      tty,
      stdin: interactive,
      env: values.env,
      user: values.user,
      workingDir: values.workdir,
      columns: process.stdout.columns,
      rows: process.stdout.rows,
    });
    const exited = new Promise<number | null>((resolve) => session.onExit(resolve));
    session.onData((stream, bytes) => (stream === 'stdout' ? process.stdout : process.stderr).write(bytes));
    const onResize = () => void session.resize(process.stdout.columns, process.stdout.rows);
    if (tty) process.stdout.on('resize', onResize);
    if (interactive) {
      if (raw) stdin.setRawMode(true);
      stdin.on('data', (d: Buffer) => session.write(d));
      stdin.on('end', () => session.endInput());
      stdin.resume();
    }
    const code = await exited;
    if (tty) process.stdout.off('resize', onResize);
    return code ?? 125;
  } catch (err) {
    process.stderr.write(`container-lineage exec: ${err instanceof Error ? err.message : String(err)}\n`);
    return 125;
  } finally {
    if (raw) stdin.setRawMode(false);
    if (interactive) stdin.pause();
    engine.dispose();
  }
}

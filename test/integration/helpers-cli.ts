/** Runs the command line (src/cli.ts through tsx) as a child process, for the CLI tests. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(__dirname, '..', '..', 'src', 'cli.ts');

/** Outcome of one CLI run: exit code (null when killed), stdout and stderr as text. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** More options of {@link cli}. */
export interface CliOptions {
  /** Environment of the process (default: this one's). */
  env?: NodeJS.ProcessEnv;
  /** Receives standard error as it comes, with everything so far. */
  onStderr?: (soFar: string) => void;
}

/**
 * Run `container-lineage ARGS…`. `onSpawn` gets the pid (to signal it); `input` is written to its
 * standard input, which is then closed (without `input` stdin is ignored).
 */
export function cli(args: string[], onSpawn?: (pid: number) => void, input?: string, options: CliOptions = {}): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
  onSpawn?.(child.pid!);
  if (input !== undefined) child.stdin!.end(input);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString();
    options.onStderr?.(stderr);
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

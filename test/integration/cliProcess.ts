/** Runs the command line (src/cli.ts through tsx) as a child process, for the CLI tests. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(__dirname, '..', '..', 'src', 'cli.ts');

/** Options of {@link cli}. */
export interface CliOptions {
  /** Environment of the process (default: this one's). */
  env?: NodeJS.ProcessEnv;
  /** Receives standard error as it comes, with everything so far. */
  onStderr?: (soFar: string) => void;
}

/**
 * Run `container-lineage ARGS…`.
 * @param onSpawn receives the child's pid (to send it signals).
 * @returns its exit code and everything it wrote.
 */
export function cli(args: string[], onSpawn?: (pid: number) => void, options: CliOptions = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
  onSpawn?.(child.pid!);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
    options.onStderr?.(stderr);
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/**
 * The exec fallback of the warm pool, for images without a shell: the pooled container idles on a
 * long `sleep` (or the pool's `idleCmd`), and a transaction is an exec (create, hijacked start,
 * exit code from the exec's state). No `vscode` import.
 */
import type Docker from 'dockerode';
import { drain, OutputCollector } from './containerOutput';
import { statusOf } from './engineErrors';
import type { StreamName } from './demux';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Outcome of {@link runExec}. */
export interface ExecOutcome {
  /** 'retry' = the idle container had died (exec create said 404/409): take another. */
  ended: 'exited' | 'retry' | 'stopped';
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run argv with exec in the idle container `id`.
 * @param stop aborted on timeout/cancel (the caller removes the container, which ends the exec).
 * @throws the engine error when exec create fails for another reason than a dead container.
 */
export async function runExec(
  docker: Docker,
  id: string,
  run: { cmd: string[]; env?: string[]; workingDir?: string; collect?: boolean; onOutput?: (s: StreamName, b: Buffer) => void; stop: AbortSignal },
): Promise<ExecOutcome> {
  const collector = new OutputCollector(false, run.collect ?? true, run.onOutput);
  const stopped = () => run.stop.aborted;
  let exec: Docker.Exec;
  try {
    exec = await docker.getContainer(id).exec({ Cmd: run.cmd, Env: run.env, WorkingDir: run.workingDir, AttachStdout: true, AttachStderr: true, Tty: false });
  } catch (err) {
    const s = statusOf(err);
    if (s === 409 || s === 404) return { ended: 'retry', exitCode: null, stdout: '', stderr: '' };
    throw err;
  }
  const stream = await exec.start({ hijack: true, stdin: false });
  let drained = false;
  const output = drain(stream, collector).then(
    () => void (drained = true),
    (err) => {
      drained = true;
      if (!stopped()) throw err;
    },
  );
  // A background process started by the command (`cmd &`) inherits the exec's output and keeps
  // the stream open after the command itself exited (unlike a cold container, whose exit kills
  // everything). So also watch the exec's state, with backoff.
  const exited = (async (): Promise<number | null | undefined> => {
    for (let delay = 100; !drained && !stopped(); delay = Math.min(delay * 2, 1000)) {
      await sleep(delay);
      if (drained || stopped()) break;
      const info = await exec.inspect().catch(() => undefined);
      if (info && !info.Running) return typeof info.ExitCode === 'number' ? info.ExitCode : null;
    }
    return undefined;
  })();
  const stopPromise = new Promise<void>((r) => (stopped() ? r() : run.stop.addEventListener('abort', () => r(), { once: true })));
  await Promise.race([output, exited, stopPromise]);
  let exitCode: number | null = null;
  if (stopped()) {
    (stream as unknown as { destroy?: () => void }).destroy?.();
  } else if (!drained) {
    // The command exited with its output still held open by a leftover process: take what
    // arrived within a short grace, then stop reading (the container is destroyed anyway).
    await Promise.race([output.catch(() => undefined), sleep(250)]);
    (stream as unknown as { destroy?: () => void }).destroy?.();
    exitCode = (await exited) ?? null;
  } else {
    await output;
    if (!stopped()) exitCode = await exitCodeOf(exec);
  }
  const text = collector.finish();
  return { ended: stopped() ? 'stopped' : 'exited', exitCode, ...text };
}

/**
 * Exit code of a finished exec. The exec's stream can end a moment before the engine records the
 * exit, so poll briefly while it still says Running.
 * @returns the exit code, or null when the engine never reported one (within ~5 s).
 */
export async function exitCodeOf(exec: Docker.Exec): Promise<number | null> {
  for (let i = 0; i < 500; i++) {
    const info = await exec.inspect();
    if (!info.Running && typeof info.ExitCode === 'number') return info.ExitCode;
    await sleep(10);
  }
  return null;
}

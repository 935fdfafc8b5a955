/**
 * Exec into a running container (`POST /containers/{id}/exec`, then a hijacked start), for
 * "Attach Shell" (a terminal in VS Code) and `container-lineage exec`. With a TTY the output is
 * raw bytes and the terminal size is forwarded; without one stdout and stderr are demultiplexed.
 * The container itself is never stopped or removed: only the exec'd process ends.
 *
 * The engine does not end an exec'd process when its connection closes (moby issue 9098): a
 * shell left behind keeps running in the container. With `endOnClose` the process gets a
 * random marker in its environment, and {@link ExecSession.close} hangs up every process of the
 * container that carries it (the shell and what it started), through a second exec.
 * No `vscode` import.
 */
import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { FrameDemuxer, type StreamName } from './demux';
import { engineMessage, statusOf } from './engineErrors';

/**
 * The command Attach Shell runs: bash when the image has it, else sh (what users of Container
 * Tools get).
 */
export const ATTACH_SHELL_COMMAND = ['/bin/sh', '-c', 'if [ -x /bin/bash ]; then exec /bin/bash; else exec /bin/sh; fi'];

export interface ExecOptions {
  cmd: string[];
  /** Allocate a TTY (interactive shells). Default false. */
  tty?: boolean;
  /** Attach stdin (keystrokes / piped input). Default true with a TTY, else false. */
  stdin?: boolean;
  /** Initial size, forwarded once the exec started (TTY only). */
  columns?: number;
  rows?: number;
  /** `NAME=value` entries; TERM=xterm-256color is added with a TTY unless given. */
  env?: string[];
  user?: string;
  workingDir?: string;
  /** Hang up the process (and its children) when the session is closed. Default false (like docker exec). */
  endOnClose?: boolean;
}

/** Environment variable marking the processes of one session (see {@link ExecOptions.endOnClose}). */
export const SESSION_MARKER_ENV = 'CONTAINER_LINEAGE_SESSION';

/**
 * Shell script that sends `signal` to every process whose environment has `NAME=token`
 * (reads /proc/<pid>/environ; needs `sh`, `tr` and `grep` in the image, as busybox and every
 * distribution have).
 */
function hangUpScript(token: string, signal: 'HUP' | 'KILL'): string {
  return `for p in /proc/[0-9]*; do if tr '\\0' '\\n' < "$p/environ" 2>/dev/null | grep -qx '${SESSION_MARKER_ENV}=${token}'; then kill -${signal} "\${p#/proc/}" 2>/dev/null; fi; done; true`;
}

/** A running exec. */
export interface ExecSession {
  /** Exec ID. */
  readonly id: string;
  /** Send input (needs `stdin`). Ignored after the end. */
  write(data: string | Buffer): void;
  /** Close stdin (the process sees end of input). */
  endInput(): void;
  /** Forward a terminal resize. Never throws. */
  resize(columns: number, rows: number): Promise<void>;
  /** Output as it arrives (with a TTY everything is `stdout`). */
  onData(listener: (stream: StreamName, data: Buffer) => void): void;
  /** Called once when the process ended: its exit code, or null when the engine did not say. */
  onExit(listener: (exitCode: number | null) => void): void;
  /**
   * End the session: with `endOnClose` the process and its children are hung up first, then the
   * connection is closed. Resolves with the exit code if known. Never throws.
   */
  close(): Promise<number | null>;
}

/**
 * Start `cmd` inside the running container `containerId`.
 * @throws Error with what to do when the container does not exist (404), is not running (409),
 *   or the command cannot be started.
 */
export async function execInContainer(docker: Docker, containerId: string, options: ExecOptions): Promise<ExecSession> {
  const tty = !!options.tty;
  const stdin = options.stdin ?? tty;
  const env = [...(options.env ?? [])];
  if (tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm-256color');
  const token = options.endOnClose ? randomBytes(8).toString('hex') : undefined;
  if (token) env.push(`${SESSION_MARKER_ENV}=${token}`);
  const container = docker.getContainer(containerId);
  let exec: Docker.Exec;
  try {
    exec = await container.exec({
      Cmd: options.cmd,
      AttachStdin: stdin,
      AttachStdout: true,
      AttachStderr: true,
      Tty: tty,
      Env: env,
      ...(options.user ? { User: options.user } : {}),
      ...(options.workingDir ? { WorkingDir: options.workingDir } : {}),
    });
  } catch (err) {
    const code = statusOf(err);
    if (code === 404) throw new Error(`No such container: ${containerId}`);
    if (code === 409) throw new Error(`Container ${containerId} is not running: start it first (${engineMessage(err)}).`);
    throw new Error(`Cannot exec in ${containerId}: ${engineMessage(err)}`);
  }
  const stream = (await exec.start({ hijack: true, stdin, Tty: tty })) as unknown as NodeJS.ReadWriteStream & { destroy(): void; end(): void };
  const events = new EventEmitter();
  const demux = tty ? undefined : new FrameDemuxer((s, b) => events.emit('data', s, b));
  /** Hang up what the session left running (endOnClose), then make sure with a KILL. */
  const hangUp = async () => {
    if (!token) return;
    for (const signal of ['HUP', 'KILL'] as const) {
      const running = await exec.inspect().then((i) => i.Running, () => false);
      if (!running) return;
      try {
        const killer = await container.exec({ Cmd: ['sh', '-c', hangUpScript(token, signal)], AttachStdout: true, AttachStderr: true });
        const out = (await killer.start({})) as unknown as NodeJS.ReadableStream;
        out.resume();
        await new Promise((r) => (out.on('end', r), out.on('close', r), out.on('error', r)));
      } catch {
        return; // the container stopped meanwhile: nothing is left to hang up
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  let ended: Promise<number | null> | undefined;
  let closing = false;
  const end = (): Promise<number | null> => {
    ended ??= (async () => {
      if (closing) await hangUp();
      stream.destroy();
      let code: number | null = null;
      // The engine sets ExitCode once the process is gone; it may lag the stream's end a little.
      for (let i = 0; i < 20; i++) {
        const info = await exec.inspect().catch(() => undefined);
        if (info && !info.Running) {
          code = typeof info.ExitCode === 'number' ? info.ExitCode : null;
          break;
        }
        if (!info) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      events.emit('exit', code);
      return code;
    })();
    return ended;
  };
  stream.on('data', (chunk: Buffer) => {
    if (demux) demux.push(chunk);
    else events.emit('data', 'stdout', chunk);
  });
  stream.on('end', () => void end());
  stream.on('close', () => void end());
  stream.on('error', () => void end());
  if (tty && options.columns && options.rows) await exec.resize({ w: options.columns, h: options.rows }).catch(() => undefined);
  return {
    id: exec.id,
    write: (data) => {
      if (!ended && stdin) stream.write(data);
    },
    endInput: () => {
      // Half-close: the engine sees EOF on stdin, output keeps flowing.
      if (!ended) (stream as unknown as { end(): void }).end();
    },
    resize: async (columns, rows) => {
      if (!tty || ended || columns < 1 || rows < 1) return;
      await exec.resize({ w: columns, h: rows }).catch(() => undefined);
    },
    onData: (listener) => void events.on('data', listener),
    onExit: (listener) => void events.once('exit', listener),
    close: () => {
      closing = true;
      return end();
    },
  };
}

/**
 * Throwaway shell sessions (the "login" case): a fresh TTY container per session, attached with
 * stdin, resized with the terminal, and removed when the session ends — whether the shell exits or
 * the caller closes it. Labels: the throwaway labels with kind `shell` (so the Containers view marks
 * it and the sweep removes it if the owner dies). No `vscode` import.
 */
import type Docker from 'dockerode';
import { EventEmitter } from 'node:events';
import { engineMessage, statusOf } from './engineErrors';
import { hostConfigFor, type SecurityOptions } from './security';
import type { TransactionRunner } from './transaction';

/** Options of a throwaway shell. */
export interface ShellOptions {
  image: string;
  /** Command (default `/bin/sh`). */
  cmd?: string[];
  /** Initial size (columns × rows), forwarded before start. */
  columns?: number;
  rows?: number;
  /** Extra environment (`NAME=value`); TERM=xterm-256color is set unless given. */
  env?: string[];
  security?: Partial<SecurityOptions>;
}

/** A live throwaway shell. */
export interface ShellSession {
  /** Container id. */
  readonly id: string;
  /** Send input (keystrokes) to the shell. */
  write(data: string | Buffer): void;
  /** Forward a terminal resize (columns × rows). Never throws. */
  resize(columns: number, rows: number): Promise<void>;
  /** Output bytes (raw TTY stream). */
  onData(listener: (data: Buffer) => void): void;
  /**
   * Called once when the session has ended AND its container is removed: `exitCode` of the shell,
   * or null when it was killed / the engine did not say; `error` when removal failed.
   */
  onExit(listener: (exitCode: number | null, error?: string) => void): void;
  /** End the session: kill and remove the container. Resolves when it is gone. Never throws. */
  close(): Promise<void>;
}

/**
 * Create, attach (before start), start and size a fresh TTY container running a shell.
 * @throws Error with an actionable message when the container cannot be created or started (the
 *   container, if created, is removed first).
 */
export async function openShell(runner: TransactionRunner, options: ShellOptions): Promise<ShellSession> {
  runner.assertUsable();
  const docker = runner.docker;
  const env = options.env ?? [];
  if (!env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm-256color');
  let container: Docker.Container;
  try {
    container = await docker.createContainer({
      Image: options.image,
      Cmd: options.cmd ?? ['/bin/sh'],
      Env: env,
      Tty: true,
      OpenStdin: true,
      StdinOnce: false,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Labels: runner.labels('shell'),
      HostConfig: hostConfigFor(options.security),
    });
  } catch (err) {
    throw new Error(
      statusOf(err) === 404
        ? `Image "${options.image}" is not on the engine; build or pull it first.`
        : `Could not create a shell container from "${options.image}": ${engineMessage(err)}`,
    );
  }
  const id = container.id;
  runner.track(id);
  const events = new EventEmitter();
  let stream: NodeJS.ReadWriteStream;
  try {
    stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as NodeJS.ReadWriteStream;
    stream.on('data', (chunk: Buffer) => events.emit('data', chunk));
    stream.on('error', () => undefined); // the end of the session is decided by wait below
    await container.start();
    if (options.columns && options.rows) await container.resize({ w: options.columns, h: options.rows }).catch(() => undefined);
  } catch (err) {
    await runner.remove(id);
    throw new Error(`Could not start a shell in "${options.image}": ${engineMessage(err)}`);
  }

  let ended: Promise<void> | undefined;
  const end = (exitCode: number | null): Promise<void> => {
    ended ??= (async () => {
      (stream as unknown as { destroy?: () => void }).destroy?.();
      const problem = await runner.remove(id);
      events.emit('exit', exitCode, problem);
    })();
    return ended;
  };
  container.wait({ condition: 'not-running' }).then(
    (r: { StatusCode?: number }) => end(typeof r?.StatusCode === 'number' ? r.StatusCode : null),
    () => end(null),
  );

  return {
    id,
    write: (data) => {
      if (!ended) stream.write(data);
    },
    resize: async (columns, rows) => {
      if (ended || columns < 1 || rows < 1) return;
      await container.resize({ w: columns, h: rows }).catch(() => undefined);
    },
    onData: (listener) => void events.on('data', listener),
    onExit: (listener) => void events.once('exit', listener),
    close: () => end(null),
  };
}

/**
 * A container's logs (`GET /containers/{id}/logs`), optionally followed as they are written, for
 * "View Logs" (a terminal in VS Code) and `container-lineage logs`. TTY containers send raw
 * bytes; others send the multiplexed stdout/stderr frames, split by {@link FrameDemuxer}.
 * No `vscode` import.
 */
import type Docker from 'dockerode';
import { FrameDemuxer, type StreamName } from './demux';
import { engineMessage, statusOf } from './engineErrors';

export interface LogOptions {
  /** Keep streaming new output until the container stops or `signal` aborts. Default false. */
  follow?: boolean;
  /** Only the last N lines of what was written before (default: all). */
  tail?: number;
  /** Prefix each line with the engine's RFC 3339 timestamp. */
  timestamps?: boolean;
  signal?: AbortSignal;
  /** Output bytes as they arrive, by stream (TTY containers: everything is stdout). */
  onData: (stream: StreamName, bytes: Buffer) => void;
}

/** How a log stream ended. */
export interface LogEnd {
  /** 'ended': the engine closed the stream (the container stopped, or not following); 'cancelled': `signal` aborted. */
  reason: 'ended' | 'cancelled';
  /** Whether the container runs with a TTY (its output is not split into stdout and stderr). */
  tty: boolean;
}

/**
 * Print or follow a container's logs.
 * @param id container ID or name.
 * @throws Error "No such container …" (404) or the engine's message when the logs cannot be read.
 */
export async function readLogs(docker: Docker, id: string, options: LogOptions): Promise<LogEnd> {
  const container = docker.getContainer(id);
  let tty: boolean;
  try {
    tty = !!(await container.inspect()).Config?.Tty;
  } catch (err) {
    throw new Error(statusOf(err) === 404 ? `No such container: ${id}` : `Cannot read the logs of ${id}: ${engineMessage(err)}`);
  }
  const sink = tty ? undefined : new FrameDemuxer(options.onData);
  const push = (chunk: Buffer) => (sink ? sink.push(chunk) : options.onData('stdout', chunk));
  const query = { stdout: true, stderr: true, timestamps: !!options.timestamps, ...(options.tail !== undefined ? { tail: options.tail } : {}) };
  if (options.signal?.aborted) return { reason: 'cancelled', tty };
  if (!options.follow) {
    const body = (await container.logs({ ...query, follow: false })) as unknown as Buffer;
    push(Buffer.isBuffer(body) ? body : Buffer.from(String(body)));
    return { reason: 'ended', tty };
  }
  const stream = (await container.logs({ ...query, follow: true })) as unknown as NodeJS.ReadableStream & { destroy(): void };
  return new Promise<LogEnd>((resolve, reject) => {
    let cancelled = false;
    const onAbort = () => {
      cancelled = true;
      stream.destroy();
      resolve({ reason: 'cancelled', tty });
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (chunk: Buffer) => {
      try {
        push(chunk);
      } catch (err) {
        stream.destroy();
        reject(err);
      }
    });
    const finish = () => {
      options.signal?.removeEventListener('abort', onAbort);
      if (!cancelled) resolve({ reason: 'ended', tty });
    };
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', (err) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (!cancelled) reject(new Error(`The log stream of ${id} broke: ${engineMessage(err)}`));
    });
  });
}

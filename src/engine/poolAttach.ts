/**
 * Attached warm-pool containers: created with OpenStdin/StdinOnce, attached (hijacked stream)
 * BEFORE start, running the `core/attachProtocol.ts` script that waits on `read` for its one
 * transaction. Running a transaction is one write to the open stream and reading until the
 * in-band end markers on stdout and stderr: no exec create/start/inspect round trips.
 * No `vscode` import.
 */
import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { ATTACHED_POOL_SCRIPT, commandScript, MarkerScanner, transactionInput } from '../core/attachProtocol';
import { FrameDemuxer, StreamDecoder, type StreamName } from './demux';
import { engineMessage, statusOf } from './engineErrors';

/** An idle attached pool container: started, its stream open, waiting for one transaction. */
export interface AttachedContainer {
  readonly id: string;
  /** The hijacked attach connection (stdin written, multiplexed stdout/stderr read). */
  readonly stream: Duplex;
  /** True once the stream closed (the container exited or was removed). */
  readonly gone: boolean;
  /** Called once when the stream closes while the container is idle. */
  onGone(listener: () => void): void;
  /** Close the connection (the container is removed separately). Never throws. */
  close(): void;
}

/** Raised by {@link prepareAttached} when the image has no `sh` (use the exec fallback). */
export class NoShellError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoShellError';
  }
}

/** The create options of an attached pool container (the image's entrypoint is replaced, as an exec would bypass it). */
export function attachedCreateOptions(image: string, labels: Record<string, string>, hostConfig: Docker.HostConfig): Docker.ContainerCreateOptions {
  return {
    Image: image,
    Entrypoint: ['sh', '-c', ATTACHED_POOL_SCRIPT],
    Cmd: [],
    OpenStdin: true,
    StdinOnce: true,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    Labels: labels,
    HostConfig: hostConfig,
  };
}

/**
 * Create, attach and start one attached pool container.
 * @param track called with the id as soon as the container exists (so it is always removed).
 * @throws NoShellError when the image has no `sh` (the container exists: the caller removes it);
 *   the engine error otherwise (404 = the image is missing).
 */
export async function prepareAttached(docker: Docker, options: Docker.ContainerCreateOptions, track: (id: string) => void): Promise<AttachedContainer> {
  const container = await docker.createContainer(options);
  track(container.id);
  const stream = (await container.attach({ stream: true, hijack: true, stdin: true, stdout: true, stderr: true })) as unknown as Duplex;
  (stream as unknown as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);
  let gone = false;
  const goneListeners: Array<() => void> = [];
  const markGone = () => {
    if (gone) return;
    gone = true;
    for (const l of goneListeners.splice(0)) l();
  };
  stream.on('close', markGone);
  stream.on('end', markGone);
  stream.on('error', markGone);
  // Nothing is expected before the transaction; pause so bytes wait in the socket.
  stream.pause();
  try {
    await container.start();
  } catch (err) {
    stream.destroy();
    const msg = engineMessage(err);
    if (/executable file not found|no such file or directory/i.test(msg) && /\bsh\b/.test(msg)) throw new NoShellError(msg);
    throw err;
  }
  return {
    id: container.id,
    stream,
    get gone() {
      return gone;
    },
    onGone: (l) => (gone ? l() : void goneListeners.push(l)),
    close: () => stream.destroy(),
  };
}

/** Output of one attached transaction. */
export interface AttachedOutcome {
  /** Exit code from the markers, or from the container's state when it died without them; null when unknown. */
  exitCode: number | null;
  /** 'marker' = finished normally; 'gone' = the stream closed first (killed, removed, died); 'stopped' = `stop` fired. */
  ended: 'marker' | 'gone' | 'stopped';
  stdout: string;
  stderr: string;
}

/** What {@link runAttached} runs. */
export interface AttachedRun {
  cmd: string[];
  env?: string[];
  workingDir?: string;
  /** Keep the output in the outcome (default true). */
  collect?: boolean;
  onOutput?: (stream: StreamName, bytes: Buffer) => void;
  /** Aborted on timeout/cancel: resolve at once with 'stopped' (the caller removes the container). */
  stop: AbortSignal;
}

/**
 * Run one transaction in an idle attached container: send it, read until both end markers.
 * Never throws for a command failure; a container that dies (OOM, removed) ends with 'gone' and
 * its exit code from one inspect.
 * @throws RangeError for an empty argv or a malformed environment entry; DemuxError on a corrupt stream.
 */
export async function runAttached(docker: Docker, c: AttachedContainer, run: AttachedRun): Promise<AttachedOutcome> {
  const token = randomBytes(8).toString('hex');
  const input = transactionInput(token, commandScript(run.cmd, run.env, run.workingDir));
  const collect = run.collect ?? true;
  const decoders = { stdout: new StreamDecoder(), stderr: new StreamDecoder() };
  const sink = (s: StreamName) => (bytes: Buffer) => {
    if (collect) decoders[s].write(bytes);
    run.onOutput?.(s, bytes);
  };
  const scanners = { stdout: new MarkerScanner(token, sink('stdout')), stderr: new MarkerScanner(token, sink('stderr')) };
  const ended = await new Promise<AttachedOutcome['ended'] | Error>((resolve) => {
    let settled = false;
    const finish = (how: AttachedOutcome['ended'] | Error) => {
      if (settled) return;
      settled = true;
      c.stream.off('data', onData);
      run.stop.removeEventListener('abort', onStop);
      resolve(how);
    };
    const demux = new FrameDemuxer((s, b) => scanners[s].push(b));
    const onData = (chunk: Buffer) => {
      try {
        demux.push(chunk);
      } catch (err) {
        finish(err as Error);
        return;
      }
      if (scanners.stdout.done && scanners.stderr.done) finish('marker');
    };
    const onStop = () => finish('stopped');
    if (run.stop.aborted) return finish('stopped');
    run.stop.addEventListener('abort', onStop, { once: true });
    c.stream.on('data', onData);
    c.onGone(() => finish('gone'));
    c.stream.resume();
    c.stream.write(input);
  });
  c.close();
  if (ended instanceof Error) throw ended;
  let exitCode: number | null = null;
  if (ended === 'marker') exitCode = scanners.stdout.exitCode ?? null;
  else {
    scanners.stdout.flush();
    scanners.stderr.flush();
    if (ended === 'gone') exitCode = await containerExitCode(docker, c.id);
  }
  return { exitCode, ended, stdout: decoders.stdout.end(), stderr: decoders.stderr.end() };
}

/** Exit code of a container that stopped (null when it is gone or still running). */
async function containerExitCode(docker: Docker, id: string): Promise<number | null> {
  try {
    const info = await docker.getContainer(id).inspect();
    return info.State.Running ? null : info.State.ExitCode;
  } catch (err) {
    if (statusOf(err) === 404) return null;
    return null;
  }
}

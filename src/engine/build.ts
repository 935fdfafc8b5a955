/**
 * Image builds on the engine, from Dockerfile text (e.g. an unsaved editor buffer) and a context
 * folder streamed as tar ({@link packBuildContext}).
 *
 * Builder: the classic builder (`version=1`, the engine's default for API builds). BuildKit over
 * the API needs a gRPC session for the context and the output; the classic builder streams the
 * context in the request body, prints "Step N/M : …" lines we can map to Dockerfile lines, and
 * records the base image as the new image's `Parent`, which the lineage tree uses first.
 *
 * Failure: a build has failed when ANY message of the stream carries `error` or `errorDetail`,
 * even though the HTTP status is 200; also when the stream ends without an image ID, or the
 * request is aborted. The image is built untagged and tagged only after success, so a failed or
 * cancelled build never moves or creates a tag.
 *
 * Timeouts: dockerode applies the client's `timeout` (socket idle) and `connectionTimeout` to
 * every request, and a `RUN` that prints nothing for minutes would trip them; the build request
 * goes through a view of the client with both disabled ({@link clientWithoutTimeouts}).
 */
import type Docker from 'dockerode';
import { StringDecoder } from 'node:string_decoder';
import { INJECTED_DOCKERFILE_NAME, packBuildContext, type ContextStats } from './context';
import { splitRepoTag } from '../core/tagname';

/** One JSON message of the engine's build stream. */
export interface BuildMessage {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  aux?: { ID?: string } & Record<string, unknown>;
  error?: string;
  errorDetail?: { code?: number; message?: string };
}

/** A classic-builder step as printed: "Step 3/5 : RUN make". */
export interface BuildStep {
  /** 1-based step number. */
  number: number;
  total: number;
  /** The step line as printed, e.g. "Step 3/5 : RUN make". */
  line: string;
}

/**
 * Incremental interpreter of the build stream (newline-delimited JSON, chunks may split lines
 * and multi-byte characters anywhere). Pure: no engine access, unit-testable on recorded bytes.
 */
export class BuildStreamInterpreter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private textPending = '';
  /** Last step line seen. */
  step: BuildStep | undefined;
  /** The built image ID ("sha256:…") from `aux.ID`, or the short ID of "Successfully built". */
  imageId: string | undefined;
  /** First error message seen (build failed). */
  error: string | undefined;
  /** Step that was running when the error came. */
  failedStep: BuildStep | undefined;
  /** ID of the intermediate container of the running step ("---> Running in <id>"), until removed. */
  runningContainer: string | undefined;
  /**
   * Image IDs (short, as printed) that steps after a `FROM` produced ("---> <id>"), in order,
   * including steps taken from the cache. On a failed build the engine keeps them as build cache
   * (like `docker build`), so a fixed Dockerfile rebuilds fast; callers that must leave nothing
   * (tests) can remove them.
   */
  readonly stepImages: string[] = [];
  /** Lines that were not JSON (kept for the log). */
  readonly garbage: string[] = [];

  constructor(
    private readonly onText: (text: string) => void = () => undefined,
    private readonly onMessage: (m: BuildMessage) => void = () => undefined,
  ) {}

  /** Feed raw bytes from the response. */
  push(chunk: Buffer | string): void {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) !== -1) {
      const line = this.pending.slice(0, nl).replace(/\r$/, '');
      this.pending = this.pending.slice(nl + 1);
      this.line(line);
    }
  }

  /** Flush at end of stream. */
  end(): void {
    this.pending += this.decoder.end();
    if (this.pending.trim()) this.line(this.pending);
    this.pending = '';
    if (this.textPending) this.textLine(this.textPending);
    this.textPending = '';
  }

  /** Whether the stream, as seen so far, is a failure. */
  get failed(): boolean {
    return this.error !== undefined;
  }

  private line(line: string): void {
    if (!line.trim()) return;
    let m: BuildMessage;
    try {
      m = JSON.parse(line) as BuildMessage;
    } catch {
      this.garbage.push(line);
      this.onText(line + '\n');
      return;
    }
    this.onMessage(m);
    if (typeof m.stream === 'string') {
      this.onText(m.stream);
      this.textPending += m.stream;
      let nl: number;
      while ((nl = this.textPending.indexOf('\n')) !== -1) {
        this.textLine(this.textPending.slice(0, nl));
        this.textPending = this.textPending.slice(nl + 1);
      }
    }
    if (typeof m.status === 'string') this.onText(`${m.id ? `${m.id}: ` : ''}${m.status}${m.progress ? ` ${m.progress}` : ''}\n`);
    if (m.aux && typeof m.aux.ID === 'string') this.imageId = m.aux.ID;
    if (m.error !== undefined || m.errorDetail !== undefined) {
      const msg = m.errorDetail?.message || m.error || 'build failed (the engine gave no message)';
      this.onText(`ERROR: ${msg}\n`);
      if (this.error === undefined) {
        this.error = msg;
        this.failedStep = this.step;
      }
    }
  }

  private textLine(raw: string): void {
    const line = raw.replace(/\r$/, '');
    const s = /^Step (\d+)\/(\d+) : /.exec(line);
    if (s) this.step = { number: Number(s[1]), total: Number(s[2]), line: line.trim() };
    const stepImage = /^ ---> ([0-9a-f]{12,64})\s*$/.exec(line);
    if (stepImage && this.step && !/^Step \d+\/\d+ : FROM\b/i.test(this.step.line)) this.stepImages.push(stepImage[1]!);
    const run = /^ ---> Running in ([0-9a-f]{12,64})\s*$/.exec(line);
    if (run) this.runningContainer = run[1];
    const rm = /^Removing intermediate container ([0-9a-f]{12,64})\s*$/.exec(line);
    if (rm && this.runningContainer !== undefined && rm[1]!.startsWith(this.runningContainer.slice(0, 12))) this.runningContainer = undefined;
    const ok = /^Successfully built ([0-9a-f]{12,64})\s*$/.exec(line);
    if (ok && this.imageId === undefined) this.imageId = ok[1];
  }
}

/** A build to run. */
export interface BuildRequest {
  /** Absolute path of the build context folder. */
  contextDir: string;
  /** Dockerfile text (sent in the context under {@link INJECTED_DOCKERFILE_NAME}). */
  dockerfileText: string;
  /** Name to tag the image with after success, e.g. "my-app:latest"; none when undefined. */
  tag?: string;
  /** Stage to stop at (a stage name); the last stage when undefined. */
  target?: string;
  /** Build args (`--build-arg`). */
  buildArgs?: Record<string, string>;
  /** Labels set on the built image. */
  labels?: Record<string, string>;
  /** Disable the build cache. */
  noCache?: boolean;
  /** Network for RUN steps ("default", "none", "host", a network name); the engine's default when undefined. */
  networkMode?: string;
  /** Aborts the engine request (and the context walk). */
  signal?: AbortSignal;
  /** Receives the build output as text, as it arrives. */
  onOutput?: (text: string) => void;
  /** Receives each parsed stream message. */
  onMessage?: (message: BuildMessage) => void;
}

/** Outcome of {@link buildImage}. */
export interface BuildResult {
  ok: boolean;
  /** "sha256:…" of the built image (success only). */
  imageId?: string;
  /** Tag applied (success with a tag only). */
  tag?: string;
  /** Failure message, as the engine gave it. */
  error?: string;
  /** The step running when the build failed (classic builder "Step N/M : …"). */
  failedStep?: BuildStep;
  /** 1-based Dockerfile line named by a parse error ("… line 3: unknown instruction"), if any. */
  errorLine?: number;
  /** Whether the build was cancelled through the signal. */
  cancelled: boolean;
  /** Short IDs of the images the steps after `FROM` produced or took from the cache (see {@link BuildStreamInterpreter.stepImages}). */
  stepImages: string[];
  /** Context totals (undefined when the context could not be packed). */
  context?: ContextStats;
  /** Duration in ms. */
  durationMs: number;
}

/**
 * A view of `docker` whose requests have no socket idle timeout and no connection timeout
 * (docker-modem's `timeout` / `connectionTimeout`, e.g. from `DOCKER_CLIENT_TIMEOUT`). It
 * shares the client's connection settings; only the two timeouts are shadowed.
 */
export function clientWithoutTimeouts(docker: Docker): Docker {
  const modem = (docker as unknown as { modem: Record<string, unknown> }).modem;
  if (!modem.timeout && !modem.connectionTimeout) return docker;
  const m = Object.create(modem) as Record<string, unknown>;
  m.timeout = undefined;
  m.connectionTimeout = undefined;
  const d = Object.create(docker) as Docker;
  (d as unknown as { modem: unknown }).modem = m;
  return d;
}

/** The timeouts (ms) the build request is sent with; undefined means none. */
export function buildRequestTimeouts(docker: Docker): { timeout?: number; connectionTimeout?: number } {
  const m = (clientWithoutTimeouts(docker) as unknown as { modem: { timeout?: number; connectionTimeout?: number } }).modem;
  return { timeout: m.timeout || undefined, connectionTimeout: m.connectionTimeout || undefined };
}

async function removeQuietly(docker: Docker, containerId: string): Promise<void> {
  try {
    await docker.getContainer(containerId).remove({ force: true });
  } catch {
    // already gone (404) or being removed by the engine (409): nothing left to do
  }
}

function errorLineOf(message: string | undefined): number | undefined {
  const m = message && /\bline (\d+)\b/i.exec(message);
  return m ? Number(m[1]) : undefined;
}


/**
 * Build an image with the classic builder and tag it only after success.
 * @returns the outcome; never throws for build failures, engine errors or cancellation (they
 *   are in the result), so callers always get a message to show.
 */
export async function buildImage(docker: Docker, req: BuildRequest): Promise<BuildResult> {
  const started = Date.now();
  const abort = new AbortController();
  const packed = packBuildContext({ contextDir: req.contextDir, dockerfileText: req.dockerfileText, signal: abort.signal });
  // Cancel: abort the engine request and stop the context walk (which may be waiting for the
  // request to read more, so the stream is destroyed, not just signalled).
  const onAbort = (): void => {
    abort.abort();
    if (!packed.stream.destroyed) packed.stream.destroy();
  };
  req.signal?.addEventListener('abort', onAbort, { once: true });
  if (req.signal?.aborted) onAbort();
  /** Context totals; ends the walk first when the engine stopped reading (error, cancel). */
  const finishContext = async (): Promise<ContextStats | undefined> => {
    if (!packed.stream.destroyed) packed.stream.destroy();
    return packed.done.catch(() => undefined);
  };
  const interp = new BuildStreamInterpreter(req.onOutput, req.onMessage);
  let context: ContextStats | undefined;
  let streamError: Error | undefined;
  const cancelled = (): boolean => req.signal?.aborted === true;
  const result = (extra: Partial<BuildResult>): BuildResult => ({
    ok: false,
    cancelled: cancelled(),
    context,
    durationMs: Date.now() - started,
    stepImages: [...interp.stepImages],
    ...extra,
  });
  try {
    const client = clientWithoutTimeouts(docker);
    const options: Record<string, unknown> = {
      dockerfile: INJECTED_DOCKERFILE_NAME,
      version: '1',
      rm: true,
      forcerm: true,
      pull: false,
      abortSignal: abort.signal,
    };
    if (req.target) options.target = req.target;
    if (req.buildArgs && Object.keys(req.buildArgs).length > 0) options.buildargs = req.buildArgs;
    if (req.labels && Object.keys(req.labels).length > 0) options.labels = req.labels;
    if (req.noCache) options.nocache = true;
    if (req.networkMode) options.networkmode = req.networkMode;
    let response: NodeJS.ReadableStream;
    try {
      response = await client.buildImage(packed.stream as unknown as NodeJS.ReadableStream, options as Docker.ImageBuildOptions);
    } catch (err) {
      const e = err as { message?: string; json?: { message?: string } };
      const msg = e.json?.message ?? e.message ?? String(err);
      context = await finishContext();
      return result({ error: cancelled() ? 'Build cancelled.' : msg, errorLine: errorLineOf(msg) });
    }
    await new Promise<void>((resolve) => {
      let settled = false;
      const finish = (): void => {
        if (settled) return;
        settled = true;
        resolve();
      };
      response.on('data', (c: Buffer) => interp.push(c));
      response.on('end', finish);
      response.on('close', finish);
      response.on('error', (err: Error) => {
        streamError = err;
        finish();
      });
    });
    interp.end();
    // The engine reads the whole context before the first step, so by now the walk is over
    // unless the build broke off early.
    context = await finishContext();
    if (cancelled()) {
      // The engine stops the step when the request is dropped, but only after a grace period;
      // remove the step's container now so nothing keeps running after a cancel.
      if (interp.runningContainer) await removeQuietly(docker, interp.runningContainer);
      return result({ error: 'Build cancelled.', failedStep: interp.step });
    }
    if (interp.failed) {
      return result({ error: interp.error, failedStep: interp.failedStep, errorLine: interp.failedStep ? undefined : errorLineOf(interp.error) });
    }
    if (streamError) return result({ error: `The build stream broke off: ${streamError.message}`, failedStep: interp.step });
    if (!interp.imageId) return result({ error: 'The engine finished the build without reporting an image ID.' });
    const image = await docker.getImage(interp.imageId).inspect();
    const imageId = image.Id;
    if (req.tag) {
      if (cancelled()) return result({ error: 'Build cancelled.' });
      const { repo, tag } = splitRepoTag(req.tag);
      await docker.getImage(imageId).tag({ repo, tag });
    }
    return { ok: true, imageId, tag: req.tag, cancelled: false, context, durationMs: Date.now() - started, stepImages: [...interp.stepImages] };
  } catch (err) {
    return result({ error: err instanceof Error ? err.message : String(err) });
  } finally {
    req.signal?.removeEventListener('abort', onAbort);
    if (!packed.stream.destroyed) packed.stream.destroy();
    abort.abort();
  }
}

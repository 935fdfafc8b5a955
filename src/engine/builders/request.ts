/**
 * What every builder that talks the Engine API's `POST /build` shares: the request without
 * client timeouts, the streamed build context, the newline-delimited JSON response, and tagging
 * after success.
 *
 * Timeouts: dockerode applies the client's `timeout` (socket idle) and `connectionTimeout` to
 * every request, and a `RUN` that prints nothing for minutes would trip them; the build request
 * goes through a view of the client with both disabled ({@link clientWithoutTimeouts}).
 */
import type Docker from 'dockerode';
import createIgnore from '@balena/dockerignore';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { isAbsolute, join, relative, sep } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { INJECTED_DOCKERFILE_NAME, packBuildContext, parseDockerignore, type ContextStats, type PackedContext } from '../context';
import { splitRepoTag } from '../../core/tagname';
import type { BuildInput } from './types';

/** One JSON message of the engine's build stream (classic and BuildKit builds alike). */
export interface BuildMessage {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  aux?: unknown;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  message?: string;
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

interface Modem {
  dial(options: Record<string, unknown>, cb: (err: (Error & { statusCode?: number; json?: { message?: string } }) | null, res?: unknown) => void): void;
}

/**
 * Send a request through the client's modem and return the raw response (status checked).
 * @param options docker-modem dial options (`path`, `method`, `options` = query, `file` = body).
 * @throws the modem's error (HTTP status not in `statusCodes`, transport error, abort).
 */
export function dialRaw(docker: Docker, options: Record<string, unknown>): Promise<IncomingMessage> {
  const modem = (clientWithoutTimeouts(docker) as unknown as { modem: Modem }).modem;
  return new Promise((resolve, reject) => {
    modem.dial({ isStream: true, statusCodes: { 200: true, 204: true, 400: 'bad parameter', 404: 'not found', 500: 'server error' }, ...options }, (err, res) => {
      if (err) reject(err);
      else resolve(res as IncomingMessage);
    });
  });
}

/** The build context of a build, with cancellation wired to it. */
export interface ContextUpload {
  packed: PackedContext;
  /** The Dockerfile's path inside the context (the `dockerfile` query parameter). */
  dockerfileName: string;
  /** Aborts the request and the context walk (called on cancel and when the build is over). */
  abort: AbortController;
  /** Context totals; ends the walk first when the engine stopped reading (error, cancel). */
  finish(): Promise<ContextStats | undefined>;
  /** Detach from the caller's signal. */
  dispose(): void;
}

/**
 * The Dockerfile's path inside the context when the file on disk is exactly the text to build,
 * lies inside the context folder and is not excluded by `.dockerignore`; otherwise undefined
 * (the text is then injected as {@link INJECTED_DOCKERFILE_NAME}). Using the file itself makes the
 * context the one `docker build` sends: BuildKit applies no `.dockerignore` to a context sent in
 * the request body, so an injected Dockerfile is visible to `COPY .` there.
 */
export async function savedDockerfileInContext(contextDir: string, dockerfilePath: string | undefined, text: string): Promise<string | undefined> {
  if (!dockerfilePath) return undefined;
  const rel = relative(contextDir, dockerfilePath);
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  try {
    if ((await readFile(dockerfilePath, 'utf8')) !== text) return undefined;
    const ignore = await readFile(join(contextDir, '.dockerignore'), 'utf8').catch(() => '');
    const posixRel = rel.split(sep).join('/');
    return createIgnore({ ignorecase: false }).add(parseDockerignore(ignore)).ignores(posixRel) ? undefined : posixRel;
  } catch {
    return undefined;
  }
}

/**
 * Start packing the context ({@link packBuildContext}) and tie it to `signal`: on abort the
 * request is aborted and the walk stopped (the stream is destroyed, since the walk may be
 * waiting for the request to read more).
 * @param dockerfilePath the Dockerfile on disk, used as is when it holds `dockerfileText`
 *   ({@link savedDockerfileInContext}).
 */
export async function startContext(contextDir: string, dockerfileText: string, dockerfilePath: string | undefined, signal?: AbortSignal): Promise<ContextUpload> {
  const abort = new AbortController();
  const saved = await savedDockerfileInContext(contextDir, dockerfilePath, dockerfileText);
  const packed = packBuildContext({ contextDir, dockerfileText: saved ? undefined : dockerfileText, signal: abort.signal });
  const onAbort = (): void => {
    abort.abort();
    if (!packed.stream.destroyed) packed.stream.destroy();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  return {
    packed,
    dockerfileName: saved ?? INJECTED_DOCKERFILE_NAME,
    abort,
    finish: async () => {
      if (!packed.stream.destroyed) packed.stream.destroy();
      return packed.done.catch(() => undefined);
    },
    dispose: () => {
      signal?.removeEventListener('abort', onAbort);
      if (!packed.stream.destroyed) packed.stream.destroy();
      abort.abort();
    },
  };
}

/**
 * The query of a build request: `base` (the builder's own parameters) plus what every builder
 * sends from the input: target, build args, labels, no-cache, network mode. Never `t`: the tag
 * is applied after success.
 */
export function buildQuery(input: BuildInput, base: Record<string, unknown>): Record<string, unknown> {
  const query: Record<string, unknown> = { ...base };
  if (input.target) query.target = input.target;
  if (input.buildArgs && Object.keys(input.buildArgs).length > 0) query.buildargs = input.buildArgs;
  if (input.labels && Object.keys(input.labels).length > 0) query.labels = input.labels;
  if (input.noCache) query.nocache = true;
  if (input.networkMode) query.networkmode = input.networkMode;
  return query;
}

/**
 * `POST /build` with the context as the tar body.
 * @param query the query parameters; objects (buildargs, labels) are sent as JSON.
 * @throws as {@link dialRaw} (e.g. HTTP 500 when the engine rejects the request at once).
 */
export function postBuild(docker: Docker, query: Record<string, unknown>, upload: ContextUpload): Promise<IncomingMessage> {
  return dialRaw(docker, {
    path: '/build?',
    method: 'POST',
    options: { ...query, dockerfile: upload.dockerfileName },
    file: upload.packed.stream,
    abortSignal: upload.abort.signal,
    headers: { 'Content-Type': 'application/x-tar' },
  });
}

/**
 * Splits newline-delimited JSON into messages; chunks may split lines and multi-byte characters
 * anywhere. Lines that are not JSON go to `onGarbage`.
 */
export class JsonLineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(
    private readonly onMessage: (m: BuildMessage) => void,
    private readonly onGarbage: (line: string) => void = () => undefined,
  ) {}

  /** Feed raw bytes (or text). */
  push(chunk: Buffer | string): void {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) !== -1) {
      this.line(this.pending.slice(0, nl));
      this.pending = this.pending.slice(nl + 1);
    }
  }

  /** Flush at the end of the stream. */
  end(): void {
    this.pending += this.decoder.end();
    if (this.pending.trim()) this.line(this.pending);
    this.pending = '';
  }

  private line(raw: string): void {
    const l = raw.replace(/\r$/, '');
    if (!l.trim()) return;
    let m: BuildMessage;
    try {
      m = JSON.parse(l) as BuildMessage;
    } catch {
      this.onGarbage(l);
      return;
    }
    this.onMessage(m);
  }
}

/** What consumes a response's bytes ({@link JsonLineSplitter}, the classic stream interpreter). */
export interface ChunkSink {
  push(chunk: Buffer): void;
  end(): void;
}

/**
 * Read a response to its end into `splitter` (then `end()` it).
 * @returns the transport error that broke the stream off, if any.
 */
export function readJsonLines(response: NodeJS.ReadableStream, splitter: ChunkSink): Promise<Error | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      splitter.end();
      resolve(err);
    };
    response.on('data', (c: Buffer) => splitter.push(c));
    response.on('end', () => finish());
    response.on('close', () => finish());
    response.on('error', (err: Error) => finish(err));
  });
}

/** The error a stream message carries, or undefined. */
export function messageError(m: BuildMessage): string | undefined {
  if (m.error === undefined && m.errorDetail === undefined) return undefined;
  return m.errorDetail?.message || m.error || 'build failed (the engine gave no message)';
}

/** The message of a request error (the engine's JSON message when it sent one). */
export function requestErrorMessage(err: unknown): string {
  const e = err as { message?: string; json?: { message?: string } | string };
  if (e.json && typeof e.json === 'object' && e.json.message) return e.json.message;
  return e.message ?? String(err);
}

/** The 1-based line a parse error names ("… line 3: unknown instruction"), if any. */
export function errorLineOf(message: string | undefined): number | undefined {
  const m = message && /\bline (\d+)\b/i.exec(message);
  return m ? Number(m[1]) : undefined;
}

/** Inspect the built image and tag it (only ever called after success). @returns the full image ID. */
export async function tagBuiltImage(docker: Docker, imageId: string, tag: string | undefined): Promise<string> {
  const image = await docker.getImage(imageId).inspect();
  if (tag) {
    const { repo, tag: t } = splitRepoTag(tag);
    await docker.getImage(image.Id).tag({ repo, tag: t });
  }
  return image.Id;
}

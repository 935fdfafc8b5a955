/**
 * Endpoint probing: tries the resolved candidates (`resolve.ts`) in order — /_ping with a timeout,
 * then /version — and returns the first that answers with its {@link EngineInfo}, or every
 * attempt with its error as a sentence that says what is wrong there. Also the types of what was
 * tried ({@link CandidateAttempt}) and of the engine found. Used by `connection.ts` to connect and
 * to confirm that a connected engine still answers.
 */
import type Docker from 'dockerode';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { builderVersion, detectEngineKind, engineTitle, type EngineKind } from '../core/dialect';
import { createClient } from './dockerClient';
import { formatEndpoint, type EngineEndpoint } from './endpoint';
import { nodeResolveIo, resolveCandidates, type Candidate, type ResolveInput } from './resolve';

/** Engine identity shown in the status bar. */
export interface EngineInfo {
  /** Which dialect of the API it speaks (see core/dialect). */
  kind: EngineKind;
  /** Short engine name: "Docker" or "Podman". */
  name: string;
  /** Server version, e.g. "20.10.24". */
  version: string;
  /** Product and version as shown everywhere: "Docker Engine 20.10.24", "Podman 4.3.1". */
  title: string;
  /** The builder's version from `/_ping` when the engine sends it (Podman: Buildah's, e.g. "1.28.2"). */
  builderVersion?: string;
  /** API version, e.g. "1.41". */
  apiVersion: string;
  /** Operating system / architecture of the engine host, e.g. "linux/amd64". */
  os: string;
  /** The engine's platform name when it reports one, e.g. "Docker Engine - Community"; may be empty. */
  platform?: string;
  /** Kernel version of the engine host, e.g. "6.1.0-18-amd64"; may be empty. */
  kernelVersion?: string;
}

/** One endpoint the resolver tried, and what happened. */
export interface CandidateAttempt {
  /** Where the candidate came from: "setting", "DOCKER_HOST", "context <name>", "probe". */
  source: string;
  /** For probes, which kind of engine lives there, e.g. "Docker rootless", "Podman rootful". */
  label?: string;
  /** The endpoint as a URL-like string, e.g. unix:///var/run/docker.sock. */
  endpoint: string;
  /** Why it failed, human readable; undefined when it answered. */
  error?: string;
}

/** "DOCKER_HOST tcp://127.0.0.1:1" / "probe (Docker rootless) unix:///run/user/1000/docker.sock". */
export function describeCandidate(a: CandidateAttempt): string {
  return `${a.source}${a.label ? ` (${a.label})` : ''}${a.endpoint ? ` ${a.endpoint}` : ''}`;
}

/** What {@link probeCandidates} found: the first engine that answered, or none. */
export type ProbeOutcome =
  | { kind: 'connected'; client: Docker; key: string; source: string; info: EngineInfo; attempts: CandidateAttempt[] }
  | { kind: 'disconnected'; attempts: CandidateAttempt[]; notes: string[] };

/** Inputs of {@link probeCandidates}. */
export interface ProbeInput {
  /** The `containerLineage.engine.host` setting, if any (same forms as DOCKER_HOST). */
  host?: string;
  /** Environment map the resolver reads (DOCKER_HOST, DOCKER_CONTEXT…). */
  env: Record<string, string | undefined>;
  /** Test seam: replaces the real home folder / file reader / platform of the resolver. */
  io?: Partial<Omit<ResolveInput, 'setting' | 'env'>>;
  /** How long one candidate may take to answer, in ms. Default 3000 (ssh: 10000). */
  pingTimeoutMs?: number;
  /** true: each attempt is logged at `info` (failures `warn`); false (background retry): at `debug`. */
  announce: boolean;
  /** The client to reuse for a candidate (a quiet reconnect to the same endpoint), if any. */
  reuse: (c: Candidate) => Docker | undefined;
  log: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
}

/**
 * Resolve candidates and try them in order; the first that answers /_ping and /version wins.
 * Never throws for an endpoint that fails (each failure is an attempt with its `error`).
 */
export async function probeCandidates(input: ProbeInput): Promise<ProbeOutcome> {
  const env = input.env;
  const io = { ...nodeResolveIo(), ...input.io };
  const resolution = resolveCandidates({ ...io, setting: input.host, env });
  const detail = input.announce ? 'info' : 'debug';
  const attempts: CandidateAttempt[] = [];
  for (const c of resolution.candidates) {
    const attempt: CandidateAttempt = { source: c.source, endpoint: c.display };
    if (c.label) attempt.label = c.label;
    attempts.push(attempt);
    if (c.error || !c.endpoint) {
      attempt.error = c.error ?? 'no endpoint';
      input.log(detail === 'info' ? 'warn' : 'debug', `${describeCandidate(attempt)}: ${attempt.error}`);
      continue;
    }
    input.log(detail, `trying ${describeCandidate(attempt)}`);
    const timeoutMs = input.pingTimeoutMs ?? (c.endpoint.kind === 'ssh' ? 10000 : 3000);
    let client: Docker;
    try {
      client = input.reuse(c) ?? createClient(c.endpoint, env, timeoutMs);
    } catch (err) {
      attempt.error = err instanceof Error ? err.message : String(err);
      input.log(detail === 'info' ? 'warn' : 'debug', `${describeCandidate(attempt)}: ${attempt.error}`);
      continue;
    }
    try {
      const headers = await ping(client, timeoutMs);
      const info = toInfo(await withTimeout<Docker.DockerVersion>((signal) => (client.version as (o: object) => Promise<Docker.DockerVersion>)({ abortSignal: signal }), timeoutMs), headers);
      return { kind: 'connected', client, key: c.display, source: c.source, info, attempts };
    } catch (err) {
      attempt.error = describeError(err, c.endpoint, timeoutMs);
      input.log(detail === 'info' ? 'warn' : 'debug', `${describeCandidate(attempt)}: ${attempt.error}`);
    }
  }
  return { kind: 'disconnected', attempts, notes: resolution.notes };
}

/**
 * Run `fn` with an AbortSignal that fires after `ms`, and reject with the signal's TimeoutError
 * then even if `fn` has not settled: a request waiting for its connection (an ssh handshake to a
 * host that does not answer) sees the abort only once it has one, at the transport's own timeout.
 * `fn`'s later settlement is dropped.
 */
async function withTimeout<T>(fn: (signal: AbortSignal) => Promise<T>, ms: number): Promise<T> {
  const signal = AbortSignal.timeout(ms);
  const work = fn(signal);
  work.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
      (err: unknown) => (signal.removeEventListener('abort', onAbort), reject(err)),
    );
  });
}

/**
 * GET /_ping with a timeout. Resolves with the response headers (lower-case names: the engine's
 * dialect shows in them, e.g. Podman's `libpod-api-version`) when the engine answers "OK".
 * @throws the transport error, or an Error when something else answered.
 */
export async function ping(client: Docker, timeoutMs: number): Promise<IncomingHttpHeaders> {
  return withTimeout(async (signal) => {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const options = { path: '/_ping', method: 'GET', isStream: true, abortSignal: signal, statusCodes: { 200: true, 500: 'server error' } };
      client.modem.dial(options, (err: unknown, r: unknown) => (err ? reject(err) : resolve(r as IncomingMessage)));
    });
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const abort = () => res.destroy(new DOMException('ping timed out', 'AbortError'));
      signal.addEventListener('abort', abort, { once: true });
      res.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
      res.on('end', resolve);
      res.on('error', reject);
      res.on('close', () => signal.removeEventListener('abort', abort));
    });
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() !== 'OK') {
      throw new Error(`something answered, but not a Docker API (/_ping returned '${text.slice(0, 60)}')`);
    }
    return res.headers;
  }, timeoutMs);
}

/** EngineInfo from GET /version and the /_ping headers: Podman when they say so (core/dialect), else Docker. */
function toInfo(v: Docker.DockerVersion, headers: IncomingHttpHeaders = {}): EngineInfo {
  const components = Array.isArray(v.Components) ? v.Components : [];
  const platform = v.Platform?.Name ?? '';
  const kind = detectEngineKind({ pingHeaders: headers, componentNames: components.map((c) => c?.Name ?? ''), platformName: platform });
  const version = String(v.Version ?? 'unknown');
  const info: EngineInfo = {
    kind,
    name: kind === 'podman' ? 'Podman' : 'Docker',
    version,
    title: engineTitle(kind, version),
    apiVersion: String(v.ApiVersion ?? 'unknown'),
    os: [v.Os, v.Arch].filter(Boolean).join('/'),
    platform,
    kernelVersion: v.KernelVersion ?? '',
  };
  const builder = builderVersion(kind, headers);
  if (builder) info.builderVersion = builder;
  return info;
}

const TLS_HINT = 'if the engine expects TLS, set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH (folder with ca.pem, cert.pem, key.pem)';

/**
 * A transport error as a sentence that says what is wrong there.
 * @param endpoint where it happened (undefined: the connected engine); @param timeoutMs the ping timeout, ms.
 */
export function describeError(err: unknown, endpoint: EngineEndpoint | undefined, timeoutMs: number): string {
  const e = err as { code?: string; name?: string; message?: string; statusCode?: number; json?: unknown };
  const where = endpoint ? formatEndpoint(endpoint) : 'the engine';
  const plainTcp = endpoint?.kind === 'tcp' && !endpoint.tls;
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError' || e?.code === 'ABORT_ERR') return `no answer within ${timeoutMs / 1000} s`;
  switch (e?.code) {
    case 'ENOENT':
      return endpoint?.kind === 'unix' ? `no socket at ${endpoint.socketPath}` : endpoint?.kind === 'npipe' ? `no named pipe ${endpoint.pipePath}` : `not found (${e.message})`;
    case 'EACCES':
    case 'EPERM':
      return endpoint?.kind === 'unix'
        ? `permission denied on ${endpoint.socketPath}: add your user to the socket's group (e.g. 'docker', then log in again) or use a rootless engine`
        : `permission denied (${e.message})`;
    case 'ECONNREFUSED':
      return endpoint?.kind === 'unix' ? `the socket exists but nothing is listening on it (engine stopped?)` : `connection refused (nothing is listening there)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return endpoint && 'host' in endpoint ? `host '${endpoint.host}' not found (DNS)` : `host not found (${e.message})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `host unreachable (${e.code})`;
    case 'ETIMEDOUT':
      return `connection timed out`;
    case 'ECONNRESET':
      return `the connection was reset${plainTcp ? `; ${TLS_HINT}` : ''}`;
  }
  if (typeof e?.code === 'string' && e.code.startsWith('HPE_')) return `something answered, but not with HTTP${plainTcp ? `; ${TLS_HINT}` : ''}`;
  if (e?.statusCode === 404) return `something answered at ${where}, but not a Docker API (HTTP 404 on /_ping)`;
  if (typeof e?.statusCode === 'number') return `the engine answered HTTP ${e.statusCode}: ${String(e.message ?? '').trim()}`;
  const msg = e?.message ?? String(err);
  if (/certificate|self.signed|SSL|TLS/i.test(msg)) return `TLS failed: ${msg}`;
  return msg;
}

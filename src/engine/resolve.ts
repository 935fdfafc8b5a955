/**
 * Engine discovery: which endpoints to try, in which order. Pure logic over an injected
 * environment map, home folder and file reader, so it is unit-tested on fixture folders;
 * {@link nodeResolveIo} supplies the real ones. No vscode, no dockerode, no network.
 *
 * Order (first present source wins):
 *  1. the setting `containerLineage.engine.host`;
 *  2. `DOCKER_HOST` (with `DOCKER_TLS_VERIFY` / `DOCKER_TLS` / `DOCKER_CERT_PATH`);
 *  3. the current Docker context: `DOCKER_CONTEXT`, else `currentContext` in `$DOCKER_CONFIG/config.json`
 *     (default `~/.docker/config.json`); `default` means no context;
 *  4. probing the usual sockets (system, rootless, Docker Desktop, Podman rootful and rootless).
 * Like the docker CLI, an explicit choice (1–3) is used ALONE: when it fails, the engine is reported
 * unreachable rather than silently falling back to another engine; the sources it overrides are
 * listed in `notes` so the user sees why they were not tried. Without an explicit choice every probe
 * socket is tried in order and the first that answers wins.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_NPIPE, formatEndpoint, parseEngineHost, type EngineEndpoint, type TlsConfig } from './endpoint';

/** Name of the setting that overrides everything else. */
export const HOST_SETTING = 'containerLineage.engine.host';

/** One endpoint to try, or a source that could not even be turned into one. */
export interface Candidate {
  /** "setting", "DOCKER_HOST", "context <name>" or "probe". */
  source: string;
  /** Human label of a probe, e.g. "Docker rootless", "Podman rootful"; undefined otherwise. */
  label?: string;
  /** The endpoint as written for people (formatEndpoint), or the raw value when it did not parse. */
  display: string;
  /** The parsed endpoint; undefined when `error` is set. */
  endpoint?: EngineEndpoint;
  /** Why this source cannot be used (bad address, missing context); set instead of `endpoint`. */
  error?: string;
}

/** What the resolver decided. */
export interface Resolution {
  /** Candidates in the order they must be tried. */
  candidates: Candidate[];
  /** True when the candidates come from an explicit choice (setting, DOCKER_HOST or context). */
  explicit: boolean;
  /** Explanations for people: which sources were overridden and how to change that. */
  notes: string[];
}

/** Everything the resolver reads, injectable for tests. */
export interface ResolveInput {
  /** Value of `containerLineage.engine.host`; empty or undefined = not set. */
  setting?: string;
  /** Environment variables (process.env in production). */
  env: Record<string, string | undefined>;
  /** Home folder (os.homedir()). */
  homeDir: string;
  /** Platform; decides the probe list. Default 'linux'. */
  platform?: NodeJS.Platform;
  /** Numeric user id, used for /run/user/<uid> when XDG_RUNTIME_DIR is unset. */
  uid?: number;
  /** Read a UTF-8 text file; undefined when it does not exist or cannot be read. */
  readFile(file: string): string | undefined;
  /** Whether a file exists. */
  exists(file: string): boolean;
}

/** Real file system and process facts for {@link resolveCandidates}. */
export function nodeResolveIo(): Pick<ResolveInput, 'homeDir' | 'platform' | 'uid' | 'readFile' | 'exists'> {
  return {
    homeDir: os.homedir(),
    platform: process.platform,
    uid: typeof process.getuid === 'function' ? process.getuid() : undefined,
    readFile: (file) => {
      try {
        return fs.readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
    },
    exists: (file) => fs.existsSync(file),
  };
}

/** The Docker config folder: `$DOCKER_CONFIG`, else `~/.docker`. */
export function dockerConfigDir(env: Record<string, string | undefined>, homeDir: string): string {
  const v = env.DOCKER_CONFIG?.trim();
  return v ? v : path.join(homeDir, '.docker');
}

/** A context's storage id: the hex SHA-256 of its name (docker CLI context store layout). */
export function contextId(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

/** DOCKER_TLS_VERIFY semantics of the docker CLI (any non-empty value = on), with "0"/"false"/"no" read as off. */
function envFlag(v: string | undefined): boolean {
  if (v === undefined) return false;
  const s = v.trim().toLowerCase();
  return s !== '' && s !== '0' && s !== 'false' && s !== 'no';
}

/** TLS from DOCKER_TLS_VERIFY / DOCKER_TLS / DOCKER_CERT_PATH (default cert folder: the Docker config folder). */
function envTls(input: ResolveInput): TlsConfig | undefined {
  const verify = envFlag(input.env.DOCKER_TLS_VERIFY);
  if (!verify && !envFlag(input.env.DOCKER_TLS)) return undefined;
  const dir = input.env.DOCKER_CERT_PATH?.trim() || dockerConfigDir(input.env, input.homeDir);
  return {
    verify,
    caFile: path.join(dir, 'ca.pem'),
    certFile: path.join(dir, 'cert.pem'),
    keyFile: path.join(dir, 'key.pem'),
  };
}

/** Replace the home folder prefix by `~` for messages. */
export function tildify(file: string, homeDir: string): string {
  if (homeDir && (file === homeDir || file.startsWith(homeDir + path.sep))) return '~' + file.slice(homeDir.length);
  return file;
}

function fromHost(source: string, raw: string, what: string, tls: TlsConfig | undefined): Candidate {
  const r = parseEngineHost(raw, what, tls);
  return r.ok ? { source, display: formatEndpoint(r.endpoint), endpoint: r.endpoint } : { source, display: raw, error: r.error };
}

/** The current context name and where it came from, or an error candidate for an unreadable config file. */
function currentContext(input: ResolveInput, configDir: string): { name?: string; from?: string; error?: Candidate } {
  const envName = input.env.DOCKER_CONTEXT?.trim();
  if (envName) return { name: envName, from: 'DOCKER_CONTEXT' };
  const configFile = path.join(configDir, 'config.json');
  const text = input.readFile(configFile);
  if (text === undefined) return {};
  try {
    const cfg = JSON.parse(text) as { currentContext?: unknown };
    if (typeof cfg.currentContext === 'string' && cfg.currentContext.trim() !== '') {
      return { name: cfg.currentContext.trim(), from: tildify(configFile, input.homeDir) };
    }
    return {};
  } catch (err) {
    return {
      error: {
        source: 'context',
        display: tildify(configFile, input.homeDir),
        error: `the Docker config file ${tildify(configFile, input.homeDir)} is not valid JSON (${(err as Error).message}); fix or remove it`,
      },
    };
  }
}

/** Resolve a named context from the context store into a candidate (never throws). */
export function contextCandidate(name: string, input: ResolveInput): Candidate {
  const configDir = dockerConfigDir(input.env, input.homeDir);
  const source = `context ${name}`;
  const id = contextId(name);
  const metaFile = path.join(configDir, 'contexts', 'meta', id, 'meta.json');
  const text = input.readFile(metaFile);
  if (text === undefined) {
    return {
      source,
      display: '',
      error: `context '${name}' not found in ${tildify(path.join(configDir, 'contexts'), input.homeDir)}; run \`docker context ls\` to see the contexts, \`docker context use default\` to go back to the default`,
    };
  }
  let meta: { Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } } };
  try {
    meta = JSON.parse(text);
  } catch (err) {
    return { source, display: '', error: `context '${name}': ${tildify(metaFile, input.homeDir)} is not valid JSON (${(err as Error).message})` };
  }
  const docker = meta?.Endpoints?.docker;
  if (!docker || typeof docker.Host !== 'string' || docker.Host.trim() === '') {
    return { source, display: '', error: `context '${name}' has no docker endpoint (Endpoints.docker.Host) in ${tildify(metaFile, input.homeDir)}` };
  }
  const tlsDir = path.join(configDir, 'contexts', 'tls', id, 'docker');
  const files = { caFile: path.join(tlsDir, 'ca.pem'), certFile: path.join(tlsDir, 'cert.pem'), keyFile: path.join(tlsDir, 'key.pem') };
  const present = Object.fromEntries(Object.entries(files).filter(([, f]) => input.exists(f))) as Partial<typeof files>;
  const skip = docker.SkipTLSVerify === true;
  const tls: TlsConfig | undefined = Object.keys(present).length > 0 || skip ? { verify: !skip, ...present } : undefined;
  return fromHost(source, docker.Host, `context '${name}' host`, tls);
}

/** The usual engine sockets for a platform, in probing order. */
export function probeCandidates(input: ResolveInput): Candidate[] {
  const platform = input.platform ?? 'linux';
  const home = input.homeDir;
  const probe = (label: string, endpoint: EngineEndpoint): Candidate => ({ source: 'probe', label, display: formatEndpoint(endpoint), endpoint });
  const unix = (label: string, socketPath: string) => probe(label, { kind: 'unix', socketPath });
  if (platform === 'win32') {
    return [probe('Docker Desktop / Docker Engine', { kind: 'npipe', pipePath: DEFAULT_NPIPE }), probe('Podman machine', { kind: 'npipe', pipePath: '//./pipe/podman-machine-default' })];
  }
  const runtimeDir = input.env.XDG_RUNTIME_DIR?.trim() || (input.uid !== undefined && input.uid !== 0 ? `/run/user/${input.uid}` : undefined);
  const list: Candidate[] = [unix('Docker system socket', '/var/run/docker.sock'), unix('Docker system socket', '/run/docker.sock')];
  if (runtimeDir) list.push(unix('Docker rootless', path.posix.join(runtimeDir, 'docker.sock')));
  list.push(unix('Docker Desktop', path.posix.join(home, '.docker/run/docker.sock')), unix('Docker Desktop', path.posix.join(home, '.docker/desktop/docker.sock')));
  if (platform === 'darwin') {
    list.push(unix('Colima', path.posix.join(home, '.colima/default/docker.sock')), unix('Rancher Desktop', path.posix.join(home, '.rd/docker.sock')));
  }
  list.push(unix('Podman rootful', '/run/podman/podman.sock'));
  if (runtimeDir) list.push(unix('Podman rootless', path.posix.join(runtimeDir, 'podman/podman.sock')));
  return list;
}

/**
 * Decide which endpoints to try, in order (see the module comment for the rules).
 * @returns candidates (resolution failures included as candidates with `error`), whether they come
 *   from an explicit choice, and notes for people. Never throws.
 */
export function resolveCandidates(input: ResolveInput): Resolution {
  const notes: string[] = [];
  const setting = input.setting?.trim();
  const dockerHost = input.env.DOCKER_HOST?.trim();
  const configDir = dockerConfigDir(input.env, input.homeDir);

  if (setting) {
    if (dockerHost) notes.push(`DOCKER_HOST=${dockerHost} was not tried: the setting ${HOST_SETTING} takes precedence.`);
    notes.push(`Only the setting ${HOST_SETTING} was tried; clear it to use DOCKER_HOST, the Docker context or the usual sockets.`);
    return { candidates: [fromHost('setting', setting, `setting ${HOST_SETTING}`, envTls(input))], explicit: true, notes };
  }
  if (dockerHost) {
    const ctx = currentContext(input, configDir);
    if (ctx.name && ctx.name !== 'default') notes.push(`Docker context '${ctx.name}' was not used: DOCKER_HOST takes precedence, as in the docker CLI.`);
    notes.push(`DOCKER_HOST is set, so only it was tried (as the docker CLI does); unset it, or set ${HOST_SETTING} (on the command line: CONTAINER_LINEAGE_ENGINE_HOST), to use another engine.`);
    return { candidates: [fromHost('DOCKER_HOST', dockerHost, 'DOCKER_HOST', envTls(input))], explicit: true, notes };
  }
  const ctx = currentContext(input, configDir);
  if (ctx.name && ctx.name !== 'default') {
    notes.push(`The Docker context '${ctx.name}' (from ${ctx.from}) was the only endpoint tried, as in the docker CLI; \`docker context use default\` or ${HOST_SETTING} chooses another engine.`);
    return { candidates: [contextCandidate(ctx.name, input)], explicit: true, notes };
  }
  const candidates = ctx.error ? [ctx.error] : [];
  candidates.push(...probeCandidates(input));
  return { candidates, explicit: false, notes };
}

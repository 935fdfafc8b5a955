/**
 * Engine endpoint addresses: the `DOCKER_HOST` grammar of the docker CLI, parsed into plain data.
 * Pure: no I/O, no dockerode, no vscode. {@link parseEngineHost} never throws; a bad value comes
 * back as `{ ok: false, error }` with a message that says what to do.
 */

/** TLS settings of a tcp endpoint. File paths are read only when connecting. */
export interface TlsConfig {
  /** Verify the engine's certificate against `caFile` (DOCKER_TLS_VERIFY); false = encrypt only. */
  verify: boolean;
  /** CA certificate (PEM) path. */
  caFile?: string;
  /** Client certificate (PEM) path. */
  certFile?: string;
  /** Client key (PEM) path. */
  keyFile?: string;
}

/** Where an engine listens. */
export type EngineEndpoint =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'npipe'; pipePath: string }
  | { kind: 'tcp'; host: string; port: number; tls?: TlsConfig }
  | { kind: 'ssh'; host: string; port: number; username?: string };

/** Result of parsing an address. */
export type ParseResult = { ok: true; endpoint: EngineEndpoint } | { ok: false; error: string };

/** Default system socket of the Docker engine on Linux and macOS. */
export const DEFAULT_UNIX_SOCKET = '/var/run/docker.sock';
/** Default named pipe of Docker on Windows. */
export const DEFAULT_NPIPE = '//./pipe/docker_engine';
/** Docker's conventional plain-HTTP port (docker CLI `DefaultHTTPPort`). */
export const DEFAULT_TCP_PORT = 2375;
/** Docker's conventional TLS port (docker CLI `DefaultTLSHTTPPort`). */
export const DEFAULT_TLS_PORT = 2376;

const SUPPORTED = 'use unix://, tcp://, ssh:// or npipe://';

/**
 * Parse a docker host address as the docker CLI accepts it in `DOCKER_HOST` / `-H`:
 * `unix:///path` (empty path = /var/run/docker.sock), `tcp://host[:port]` (port defaults to 2375,
 * or 2376 with TLS), a bare `host:port` (means tcp), `ssh://[user@]host[:port]` (port 22),
 * `npipe:////./pipe/name` (empty = //./pipe/docker_engine). As a convenience an absolute path
 * (`/run/user/1000/docker.sock`) means a unix socket.
 *
 * @param raw the address; surrounding blanks are ignored.
 * @param what how to name the value in messages, e.g. "DOCKER_HOST" or "context 'prod'".
 * @param tls TLS to apply when the address is tcp (ignored for the other kinds).
 * @returns the endpoint, or a message naming the value and the accepted forms. Never throws.
 */
export function parseEngineHost(raw: string, what: string, tls?: TlsConfig): ParseResult {
  const value = raw.trim();
  const bad = (why?: string): ParseResult => ({
    ok: false,
    error: `${what} '${raw}' is not a supported address${why ? ` (${why})` : ''}; ${SUPPORTED}`,
  });
  if (value === '') return bad('empty');
  if (value.startsWith('/') && !value.startsWith('//')) return { ok: true, endpoint: { kind: 'unix', socketPath: value } };

  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s.exec(value);
  let scheme: string;
  let rest: string;
  if (m) {
    scheme = m[1].toLowerCase();
    rest = m[2];
  } else if (value.includes('://')) {
    return bad();
  } else {
    scheme = 'tcp';
    rest = value;
  }

  switch (scheme) {
    case 'unix': {
      const socketPath = rest === '' ? DEFAULT_UNIX_SOCKET : rest;
      if (!socketPath.startsWith('/')) return bad('a unix socket path must be absolute, e.g. unix:///var/run/docker.sock');
      return { ok: true, endpoint: { kind: 'unix', socketPath } };
    }
    case 'npipe': {
      if (rest === '') return { ok: true, endpoint: { kind: 'npipe', pipePath: DEFAULT_NPIPE } };
      const p = rest.replace(/\\/g, '/');
      const pm = /^\/*\.\/pipe\/(.+)$/.exec(p);
      if (!pm) return bad('a named pipe looks like npipe:////./pipe/docker_engine');
      return { ok: true, endpoint: { kind: 'npipe', pipePath: `//./pipe/${pm[1]}` } };
    }
    case 'tcp': {
      const hp = splitHostPort(rest, tls ? DEFAULT_TLS_PORT : DEFAULT_TCP_PORT, 'localhost');
      if ('error' in hp) return bad(hp.error);
      return { ok: true, endpoint: tls ? { kind: 'tcp', host: hp.host, port: hp.port, tls } : { kind: 'tcp', host: hp.host, port: hp.port } };
    }
    case 'ssh': {
      const at = rest.lastIndexOf('@');
      const userPart = at >= 0 ? rest.slice(0, at) : undefined;
      const hostPart = at >= 0 ? rest.slice(at + 1) : rest;
      if (userPart !== undefined && (userPart === '' || userPart.includes(':'))) {
        return bad('give the user as ssh://user@host; passwords in the address are not supported, use an ssh agent or key');
      }
      const hp = splitHostPort(hostPart, 22, undefined);
      if ('error' in hp) return bad(hp.error);
      const endpoint: EngineEndpoint = { kind: 'ssh', host: hp.host, port: hp.port };
      if (userPart) endpoint.username = decodeURIComponent(userPart);
      return { ok: true, endpoint };
    }
    case 'fd':
      return bad('fd:// is an address the daemon listens on, a client cannot connect to it');
    case 'http':
    case 'https':
      return bad(`write tcp://${rest.replace(/\/+$/, '')} instead`);
    default:
      return bad();
  }
}

/**
 * Split `host[:port]` (IPv6 in brackets) with an optional trailing `/`.
 * @returns host and port, or an error phrase.
 */
function splitHostPort(
  rest: string,
  defaultPort: number,
  defaultHost: string | undefined,
): { host: string; port: number } | { error: string } {
  let s = rest;
  const slash = s.indexOf('/');
  if (slash >= 0) {
    if (s.slice(slash).replace(/\/+$/, '') !== '') return { error: 'a path after the host is not supported' };
    s = s.slice(0, slash);
  }
  let host: string;
  let portText: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return { error: 'unclosed [ in IPv6 address' };
    host = s.slice(1, close);
    const after = s.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return { error: 'unexpected text after ]' };
      portText = after.slice(1);
    }
    if (!/^[0-9A-Fa-f:.]+$/.test(host)) return { error: `'${host}' is not an IPv6 address` };
  } else {
    const parts = s.split(':');
    if (parts.length > 2) return { error: 'write IPv6 addresses in brackets, e.g. tcp://[::1]:2375' };
    host = parts[0];
    portText = parts[1];
    if (host !== '' && !/^[A-Za-z0-9._-]+$/.test(host)) return { error: `'${host}' is not a host name` };
  }
  if (host === '') {
    if (defaultHost === undefined) return { error: 'no host given' };
    host = defaultHost;
  }
  let port = defaultPort;
  if (portText !== undefined && portText !== '') {
    if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      return { error: `port '${portText}' is not a number from 1 to 65535` };
    }
    port = Number(portText);
  }
  return { host, port };
}

/**
 * The endpoint as a URL-like string for people: `unix:///var/run/docker.sock`,
 * `tcp://host:2376 (TLS)`, `ssh://user@host:22`, `npipe:////./pipe/docker_engine`.
 */
export function formatEndpoint(e: EngineEndpoint): string {
  switch (e.kind) {
    case 'unix':
      return `unix://${e.socketPath}`;
    case 'npipe':
      return `npipe://${e.pipePath}`;
    case 'tcp': {
      const host = e.host.includes(':') ? `[${e.host}]` : e.host;
      const tls = e.tls ? (e.tls.verify ? ' (TLS)' : ' (TLS, not verified)') : '';
      return `tcp://${host}:${e.port}${tls}`;
    }
    case 'ssh': {
      const host = e.host.includes(':') ? `[${e.host}]` : e.host;
      return `ssh://${e.username ? `${e.username}@` : ''}${host}:${e.port}`;
    }
  }
}

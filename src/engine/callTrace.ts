/**
 * Engine-call recorder: every HTTP request a dockerode client makes, with its kind and duration,
 * for benchmarks that must say where a transaction's time goes and how many engine round trips it
 * costs (bench/transactions). No `vscode` import.
 *
 * It wraps the client's `modem.dial` — the single function through which dockerode sends every
 * request (docker-modem `Modem.prototype.dial`) — so nothing in the code under measurement changes.
 * A call's duration runs from the request being issued until dockerode hands back its result: the
 * parsed JSON body for plain calls, the response stream (or the hijacked socket) for streaming
 * ones such as attach, so a stream's later bytes are not part of its call time.
 */
import type Docker from 'dockerode';
import { performance } from 'node:perf_hooks';

/** One recorded engine request. */
export interface EngineCall {
  /** What the request did: 'create', 'attach', 'start', 'wait', 'kill', 'remove', 'inspect', … or `METHOD /path` for others. */
  kind: string;
  /** Issue → result handed back, in ms (`performance.now()` delta). */
  ms: number;
  /** When it was issued, `performance.now()` ms. */
  at: number;
  /** HTTP status of a failed call (undefined when it succeeded or failed without one). */
  failedStatus?: number;
}

/** A running recording; {@link EngineCallRecorder.stop} puts the client back as it was. */
export interface EngineCallRecorder {
  /** Calls completed so far, in completion order (the array keeps growing until stop). */
  readonly calls: EngineCall[];
  /** Forget the calls recorded so far (e.g. between two measured series). */
  clear(): void;
  /** Stop recording and restore the client's original `modem.dial`. Idempotent. */
  stop(): void;
}

/**
 * Name a request by what it does to a container: `POST /v1.41/containers/create` → 'create',
 * `POST /containers/<id>/start` → 'start', `DELETE /containers/<id>` → 'remove',
 * `GET /containers/<id>/json` → 'inspect'; anything else → `METHOD /path` without the version
 * prefix and query.
 */
export function engineCallKind(method: string, path: string): string {
  const p = path.replace(/^\/v\d+(?:\.\d+)?/, '').split('?')[0];
  if (p === '/containers/create') return 'create';
  const m = /^\/containers\/[^/]+(?:\/(\w+))?$/.exec(p);
  if (m) {
    if (!m[1]) return method === 'DELETE' ? 'remove' : `${method} /containers/{id}`;
    return m[1] === 'json' ? 'inspect' : m[1];
  }
  return `${method} ${p}`;
}

/**
 * Start recording every request of `docker`. Only one recorder per client at a time.
 * @throws Error when the client has no `modem.dial` (not a dockerode client) or is already recorded.
 */
export function recordEngineCalls(docker: Docker): EngineCallRecorder {
  type Dial = (options: { method: string; path: string }, callback: (err: unknown, result: unknown) => void) => unknown;
  const modem = (docker as unknown as { modem?: { dial?: Dial; __recorded?: boolean } }).modem;
  if (!modem || typeof modem.dial !== 'function') throw new Error('recordEngineCalls: not a dockerode client (no modem.dial)');
  if (modem.__recorded) throw new Error('recordEngineCalls: this client is already being recorded');
  const original = modem.dial;
  const ownDial = Object.prototype.hasOwnProperty.call(modem, 'dial');
  const calls: EngineCall[] = [];
  modem.__recorded = true;
  modem.dial = function (this: unknown, options, callback) {
    // The path still lacks the version prefix here; dial adds it.
    const kind = engineCallKind(options.method, options.path);
    const at = performance.now();
    return original.call(this, options, (err, result) => {
      const status = (err as { statusCode?: unknown } | null)?.statusCode;
      calls.push({ kind, ms: performance.now() - at, at, failedStatus: err ? (typeof status === 'number' ? status : undefined) : undefined });
      callback(err, result);
    });
  };
  let stopped = false;
  return {
    calls,
    clear: () => void calls.splice(0, calls.length),
    stop: () => {
      if (stopped) return;
      stopped = true;
      if (ownDial) modem.dial = original;
      else delete (modem as { dial?: Dial }).dial;
      delete modem.__recorded;
    },
  };
}

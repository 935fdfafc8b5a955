import Docker from 'dockerode';
import { EventEmitter } from 'node:events';

/** Engine identity shown in the status bar. */
export interface EngineInfo {
  /** Engine name, e.g. "Docker Engine - Community" or "Podman Engine". */
  name: string;
  /** Server version, e.g. "20.10.24". */
  version: string;
  /** API version, e.g. "1.41". */
  apiVersion: string;
  /** Operating system / kernel of the engine host. */
  os: string;
}

/** One endpoint the resolver tried, and what happened. */
export interface CandidateAttempt {
  /** Where the candidate came from: "setting", "DOCKER_HOST", "context <name>", "probe". */
  source: string;
  /** The endpoint as a URL-like string, e.g. unix:///var/run/docker.sock. */
  endpoint: string;
  /** Why it failed, human readable; undefined when it answered. */
  error?: string;
}

export type EngineState =
  | { kind: 'connecting' }
  | { kind: 'connected'; endpoint: string; source: string; info: EngineInfo; attempts: CandidateAttempt[] }
  | { kind: 'disconnected'; attempts: CandidateAttempt[] };

/** Thrown by {@link EngineConnection.docker} when no engine is connected. */
export class EngineUnavailableError extends Error {
  constructor(readonly attempts: CandidateAttempt[]) {
    super('No container engine is connected. ' + attempts.map((a) => `${a.source} ${a.endpoint}: ${a.error ?? 'ok'}`).join('; '));
    this.name = 'EngineUnavailableError';
  }
}

export interface EngineConnectionOptions {
  /** Value of the `containerLineage.engine.host` setting, if any. */
  host?: string;
  /** Environment map (defaults to process.env). */
  env?: NodeJS.ProcessEnv;
  /** Log sink. */
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/**
 * The single owner of the dockerode client (the only code allowed to construct one).
 * PLACEHOLDER implementation: connects to the system socket; the foundation work replaces
 * the internals with the full resolver while keeping this public surface.
 */
export class EngineConnection {
  private readonly emitter = new EventEmitter();
  private current: EngineState = { kind: 'connecting' };
  private client: Docker | undefined;

  constructor(private options: EngineConnectionOptions = {}) {}

  /** Current connection state. */
  get state(): EngineState {
    return this.current;
  }

  /** Subscribe to state changes; returns an unsubscribe function. */
  onDidChangeState(listener: (state: EngineState) => void): { dispose(): void } {
    this.emitter.on('state', listener);
    return { dispose: () => this.emitter.off('state', listener) };
  }

  /**
   * The connected dockerode client.
   * @throws EngineUnavailableError when no engine is connected.
   */
  docker(): Docker {
    if (this.current.kind !== 'connected' || !this.client) {
      throw new EngineUnavailableError(this.current.kind === 'disconnected' ? this.current.attempts : []);
    }
    return this.client;
  }

  /** Resolve and connect (again). Never throws; the outcome is the returned state. */
  async connect(): Promise<EngineState> {
    this.setState({ kind: 'connecting' });
    const endpoint = 'unix:///var/run/docker.sock';
    const client = new Docker({ socketPath: '/var/run/docker.sock' });
    try {
      const v = await client.version();
      this.client = client;
      this.setState({
        kind: 'connected',
        endpoint,
        source: 'probe',
        info: { name: 'Docker Engine', version: v.Version, apiVersion: v.ApiVersion, os: `${v.Os}/${v.Arch}` },
        attempts: [{ source: 'probe', endpoint }],
      });
    } catch (err) {
      this.client = undefined;
      this.setState({ kind: 'disconnected', attempts: [{ source: 'probe', endpoint, error: String(err) }] });
    }
    return this.current;
  }

  /** Update options (e.g. the host setting changed); call connect() afterwards. */
  updateOptions(options: EngineConnectionOptions): void {
    this.options = options;
  }

  dispose(): void {
    this.emitter.removeAllListeners();
  }

  private setState(state: EngineState): void {
    this.current = state;
    this.emitter.emit('state', state);
  }
}

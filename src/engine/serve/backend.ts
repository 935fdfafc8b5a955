/**
 * The gateway's container backend: the one interface between the session gateway and whatever
 * runs a session's private container. The local engine implements it (`dockerBackend.ts`); a
 * Kubernetes backend (a pod per session, deleted at logout; see the README's "Beyond one
 * machine") would implement the same four methods, and the gateway, the warm pool of ready
 * containers and the session model would not change.
 */

/** A started container whose port answers, as the gateway addresses it. */
export interface SessionContainer {
  /** Backend id (engine container id; a pod name for Kubernetes). */
  id: string;
  /** Human name (container name). */
  name: string;
  /** Address the gateway connects to. */
  host: string;
  port: number;
  /** Where a client without the gateway would connect (the local engine: the port published on 127.0.0.1). */
  published?: { host: string; port: number };
  /** create + start, ms. */
  startMs: number;
  /** From started until the port answered HTTP, ms. */
  readyMs: number;
}

/** Why a container could not serve a login; the container is already removed when this is thrown. */
export class LoginError extends Error {
  constructor(
    message: string,
    /** 'not-ready': the port never answered; 'exited': the container stopped first; 'engine': create/start failed. */
    readonly reason: 'not-ready' | 'exited' | 'engine' | 'cancelled',
  ) {
    super(message);
    this.name = 'LoginError';
  }
}

/** What the gateway needs from a container backend. */
export interface ContainerBackend {
  /** Shown in logs and views, e.g. "local engine (network cl-serve-…)". */
  readonly description: string;
  /**
   * Create what the sessions share (the local engine: one private network). Idempotent.
   * @throws Error with an actionable message when that fails (engine down, no permission).
   */
  prepare(): Promise<void>;
  /**
   * Start one fresh container of the image and resolve once its port answers HTTP.
   * @throws LoginError (the container is removed before it is thrown).
   */
  start(signal?: AbortSignal): Promise<SessionContainer>;
  /**
   * Remove one container (kill and delete). Never throws.
   * @returns undefined when it is gone, else what went wrong (the owner sweep retries).
   */
  remove(id: string): Promise<string | undefined>;
  /**
   * Remove everything this backend created (containers still tracked, then the shared network).
   * Never throws. @returns problems, one message each.
   */
  dispose(): Promise<string[]>;
  /**
   * Tell `listener` when one of this backend's containers stops by itself (crash, OOM kill), so
   * its session ends before anything else could get the same address. Optional.
   * @returns a function that stops watching.
   */
  watchExits?(listener: (id: string) => void): () => void;
}

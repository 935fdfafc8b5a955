/**
 * The local-engine container backend of the session gateway: one fresh container per session,
 * with the throwaway hardening (capabilities dropped, no-new-privileges, pids and memory limits,
 * read-only root with a tmpfs at /tmp, unless the settings say otherwise), on a private bridge
 * network of this gateway, its port published on 127.0.0.1 only.
 *
 * The network (`cl-serve-<gateway id>`) has inter-container traffic off (`enable_icc=false`: one
 * session's container cannot reach another's) and no outbound NAT (`enable_ip_masquerade=false`:
 * a session container cannot reach the internet); published ports bind to 127.0.0.1
 * (`host_binding_ipv4`), so only processes on this machine — the gateway — reach them.
 *
 * Every container and the network carry the throwaway labels of the runner's owner plus
 * `io.container-lineage.serve=<gateway id>`. The gateway connects to a container's address on that
 * network when it can (a local Linux engine): that skips the engine's userland port publisher, a
 * second proxy hop; where it cannot (Docker Desktop's VM, a remote engine) it uses the published port.
 * The runner tracks the containers (its `dispose()`
 * removes them), and after a crash the owner sweep (`engine/sweep.ts`, then
 * {@link sweepSessionNetworks}) removes them. No `vscode` import.
 */
import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { LABEL_SERVE, LABEL_THROWAWAY, sweepVerdict, type OwnerIdentity } from '../../core/labels';
import { processStartTicks } from '../owner';
import { engineMessage, statusOf } from '../engineErrors';
import { hostConfigFor, type SecurityOptions } from '../security';
import type { TransactionRunner } from '../transaction';
import { LoginError, type ContainerBackend, type SessionContainer } from './backend';
import { probeOnce, waitForHttp } from './readiness';

/** Options of {@link DockerBackend}. */
export interface DockerBackendOptions {
  /** Image reference. */
  image: string;
  /** The port the image's server listens on inside the container. */
  containerPort: number;
  /** Gateway id (hex): names the network and labels everything. */
  gatewayId: string;
  /** Command instead of the image's CMD. */
  cmd?: string[];
  /** `NAME=value` entries. */
  env?: string[];
  /** Hardening overrides (the network field is ignored: sessions always use the gateway's network). */
  security?: Partial<SecurityOptions>;
  /** How long a new container may take until its port answers HTTP (default 30 000 ms). */
  readyTimeoutMs?: number;
  /** Path probed for readiness (default '/'). */
  readyPath?: string;
  /**
   * How the gateway addresses a container: 'auto' (default) uses its address on the private
   * network when this process can reach it (a local Linux engine), else the published port;
   * 'published' always uses the published port on 127.0.0.1.
   */
  addressing?: 'auto' | 'published';
}

/** Network driver options that make the gateway's network private (see the file comment). */
export const PRIVATE_NETWORK_OPTIONS: Readonly<Record<string, string>> = Object.freeze({
  'com.docker.network.bridge.enable_icc': 'false',
  'com.docker.network.bridge.enable_ip_masquerade': 'false',
  'com.docker.network.bridge.host_binding_ipv4': '127.0.0.1',
});

/** One container per session on the local engine. */
export class DockerBackend implements ContainerBackend {
  readonly network: string;
  private prepared: Promise<void> | undefined;
  private readonly mine = new Set<string>();
  /** Whether this process reaches containers at their private-network address (decided once). */
  private addressReachable: boolean | undefined;

  /**
   * @param runner owner of every container (labels, tracking, removal) and the engine client.
   * @throws RangeError for a port outside 1–65535.
   */
  constructor(
    private readonly runner: TransactionRunner,
    readonly options: DockerBackendOptions,
  ) {
    if (!Number.isInteger(options.containerPort) || options.containerPort < 1 || options.containerPort > 65535) {
      throw new RangeError(`the container port must be 1–65535, got ${options.containerPort}`);
    }
    this.network = `cl-serve-${options.gatewayId}`;
  }

  get description(): string {
    return `local engine, network ${this.network}`;
  }

  private get docker(): Docker {
    return this.runner.docker;
  }

  private labels(): Record<string, string> {
    return { ...this.runner.labels('session'), [LABEL_SERVE]: this.options.gatewayId };
  }

  prepare(): Promise<void> {
    this.prepared ??= (async () => {
      try {
        await this.docker.createNetwork({ Name: this.network, Driver: 'bridge', CheckDuplicate: true, Labels: this.labels(), Options: { ...PRIVATE_NETWORK_OPTIONS } });
      } catch (err) {
        this.prepared = undefined;
        throw new Error(`Could not create the gateway's network ${this.network}: ${engineMessage(err)}`);
      }
    })();
    return this.prepared;
  }

  async start(signal?: AbortSignal): Promise<SessionContainer> {
    await this.prepare();
    const o = this.options;
    const portKey = `${o.containerPort}/tcp`;
    const name = `cl-session-${o.gatewayId.slice(0, 8)}-${randomBytes(4).toString('hex')}`;
    const t0 = performance.now();
    let id = '';
    try {
      const hostConfig: Docker.HostConfig = {
        ...hostConfigFor({ ...o.security, network: this.network }),
        PortBindings: { [portKey]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
      };
      const container = await this.docker.createContainer({
        name,
        Image: o.image,
        Cmd: o.cmd,
        Env: o.env,
        Labels: this.labels(),
        ExposedPorts: { [portKey]: {} },
        HostConfig: hostConfig,
      });
      id = container.id;
      this.runner.track(id);
      this.mine.add(id);
      if (signal?.aborted) throw new LoginError('cancelled', 'cancelled');
      await container.start();
      const info = await container.inspect();
      if (!info.State.Running) {
        throw new LoginError(`container ${name} of ${o.image}: it exited with code ${info.State.ExitCode} before its port ${o.containerPort} answered${await this.logTail(container)}`, 'exited');
      }
      const binding = info.NetworkSettings.Ports?.[portKey]?.find((b) => b.HostIp === '127.0.0.1') ?? info.NetworkSettings.Ports?.[portKey]?.[0];
      const hostPort = Number(binding?.HostPort);
      if (!Number.isInteger(hostPort) || hostPort <= 0) throw new LoginError(`the engine published no port for ${portKey} of ${name}`, 'engine');
      const startMs = performance.now() - t0;
      const exited = container.wait({ condition: 'not-running' }).catch(() => undefined);
      const published = { host: '127.0.0.1', port: hostPort };
      const ip = o.addressing === 'published' ? undefined : info.NetworkSettings.Networks?.[this.network]?.IPAddress || undefined;
      try {
        let target = ip && this.addressReachable ? { host: ip, port: o.containerPort } : published;
        const readyMs = await waitForHttp(target.host, target.port, { timeoutMs: o.readyTimeoutMs ?? 30_000, path: o.readyPath, signal, exited });
        if (ip && this.addressReachable === undefined) {
          // First ready container: does its network address answer from here too?
          this.addressReachable = await probeOnce(ip, o.containerPort, o.readyPath ?? '/', 500).then(() => true, () => false);
          if (this.addressReachable) target = { host: ip, port: o.containerPort };
        }
        return { id, name, ...target, published, startMs, readyMs };
      } catch (err) {
        const reason = (err as { reason?: LoginError['reason'] }).reason ?? 'not-ready';
        let detail = (err as Error).message;
        if (reason === 'exited') {
          const state = await container.inspect().then((i) => i.State, () => undefined);
          detail = `it exited${state ? ` with code ${state.ExitCode}` : ''} before its port ${o.containerPort} answered${await this.logTail(container)}`;
        } else if (reason === 'not-ready') {
          detail = `port ${o.containerPort} ${detail.replace(/^its port /, '')}`;
        }
        throw new LoginError(`container ${name} of ${o.image}: ${detail}`, reason);
      }
    } catch (err) {
      if (id) await this.remove(id);
      if (err instanceof LoginError) throw err;
      const msg = engineMessage(err);
      throw new LoginError(
        statusOf(err) === 404 && !id ? `Image "${o.image}" is not on the engine (${msg}); build or pull it first.` : `could not start a container of ${o.image}: ${msg}`,
        'engine',
      );
    }
  }

  /** The last lines the container printed, as " (last output: …)" or ''. */
  private async logTail(container: Docker.Container): Promise<string> {
    try {
      const buf = (await container.logs({ stdout: true, stderr: true, tail: 5, follow: false })) as unknown as Buffer;
      // Non-TTY logs are framed (8-byte headers): drop the headers' control bytes for a log line.
      const text = buf.toString('utf8').replace(/[\x00-\x08\x0e-\x1f]/g, '').trim();
      return text ? ` (last output: ${text.slice(-300).replace(/\s+/g, ' ')})` : '';
    } catch {
      return '';
    }
  }

  watchExits(listener: (id: string) => void): () => void {
    let stream: (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
    let stopped = false;
    void this.docker
      .getEvents({ filters: { type: ['container'], event: ['die'], label: [`${LABEL_SERVE}=${this.options.gatewayId}`] } })
      .then((s) => {
        stream = s as typeof stream;
        if (stopped) return stream?.destroy?.();
        let buf = '';
        stream!.on('data', (chunk: Buffer) => {
          buf += chunk.toString('utf8');
          let nl;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            try {
              const e = JSON.parse(line) as { Actor?: { ID?: string } };
              if (e.Actor?.ID && this.mine.has(e.Actor.ID)) listener(e.Actor.ID);
            } catch {
              /* not an event line */
            }
          }
        });
        stream!.on('error', () => undefined);
      })
      .catch(() => undefined);
    return () => {
      stopped = true;
      stream?.destroy?.();
    };
  }

  async remove(id: string): Promise<string | undefined> {
    const problem = await this.runner.remove(id);
    if (!problem) this.mine.delete(id);
    return problem;
  }

  async dispose(): Promise<string[]> {
    const problems = (await Promise.all([...this.mine].map((id) => this.remove(id)))).filter((p): p is string => !!p);
    if (this.prepared) {
      await this.prepared.catch(() => undefined);
      const p = await removeNetwork(this.docker, this.network, 20);
      if (p) problems.push(p);
      this.prepared = undefined;
    }
    return problems;
  }
}

/**
 * Remove a network; 404 counts as removed. The engine releases a removed container's endpoint a
 * moment after the removal returns (when its exit is processed), so "has active endpoints" is
 * retried (every 250 ms, `retries` times).
 * @returns undefined or the problem.
 */
async function removeNetwork(docker: Docker, nameOrId: string, retries: number): Promise<string | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      await docker.getNetwork(nameOrId).remove();
      return undefined;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      if (attempt < retries && /active endpoints/i.test(engineMessage(err))) {
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      return `network ${nameOrId} could not be removed: ${engineMessage(err)}`;
    }
  }
}

/**
 * Remove the gateway networks of sessions that are gone (same rules as the container sweep,
 * {@link sweepVerdict}). Run it after the container sweep: a network is only removable once its
 * containers are gone.
 * @param options.labels extra label filters (tests).
 * @returns names of the removed networks and the problems.
 * @throws the engine error when the network list cannot be read.
 */
export async function sweepSessionNetworks(
  docker: Docker,
  self: OwnerIdentity,
  options: { labels?: string[]; processStart?: (pid: number) => string | undefined } = {},
): Promise<{ removed: string[]; problems: string[] }> {
  const list = await docker.listNetworks({ filters: { label: [LABEL_THROWAWAY, LABEL_SERVE, ...(options.labels ?? [])] } });
  const out = { removed: [] as string[], problems: [] as string[] };
  for (const n of list) {
    if (sweepVerdict(n.Labels ?? {}, self, options.processStart ?? processStartTicks).action !== 'remove') continue;
    // No retry: a network of a dead owner has had time to release its endpoints.
    const p = await removeNetwork(docker, n.Id, 0);
    if (p) out.problems.push(p);
    else out.removed.push(n.Name);
  }
  return out;
}

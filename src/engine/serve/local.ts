/**
 * A session gateway on the local engine: sweep what dead owners left (containers, then gateway
 * networks), then a {@link DockerBackend} behind a {@link Gateway}. Used by the CLI, the VS Code
 * command, the cost measurement and the tests. No `vscode` import.
 */
import { randomBytes } from 'node:crypto';
import { sweepOrphans } from '../sweep';
import type { SecurityOptions } from '../security';
import type { TransactionRunner } from '../transaction';
import { DockerBackend, sweepSessionNetworks } from './dockerBackend';
import { Gateway, type GatewayOptions } from './gateway';

/** What to serve and how. */
export interface LocalGatewayOptions extends Omit<GatewayOptions, 'backend'> {
  containerPort: number;
  /** Command instead of the image's CMD. */
  cmd?: string[];
  env?: string[];
  security?: Partial<SecurityOptions>;
  /** A login fails (502) when the container's port has not answered within this many ms (default 30 000). */
  readyTimeoutMs?: number;
  /** 'auto' (default): the container's private-network address when reachable, else its published port. */
  addressing?: 'auto' | 'published';
  /** Skip the sweep of dead owners' containers and networks (default false). */
  noSweep?: boolean;
  /** Label filters narrowing the sweep (tests). */
  sweepLabels?: string[];
}

/** A fresh gateway id: 12 hex characters. */
export function newGatewayId(): string {
  return randomBytes(6).toString('hex');
}

/**
 * Sweep, then start a gateway whose containers belong to `runner` (its owner labels; its
 * `dispose()` removes them too).
 * @throws RangeError for a bad port or limit; Error when the network cannot be created or the port is taken.
 */
export async function startLocalGateway(runner: TransactionRunner, o: LocalGatewayOptions): Promise<Gateway> {
  if (!o.noSweep) {
    try {
      const swept = await sweepOrphans(runner.docker, runner.owner, { labels: o.sweepLabels });
      const nets = await sweepSessionNetworks(runner.docker, runner.owner, { labels: o.sweepLabels });
      if (swept.removed.length || nets.removed.length) {
        o.log?.('info', `sweep: removed ${swept.removed.length} container(s) and ${nets.removed.length} gateway network(s) left by sessions that are gone`);
      }
      for (const p of [...swept.failed.map((f) => f.error ?? f.id), ...nets.problems]) o.log?.('warn', `sweep: ${p}`);
    } catch (err) {
      o.log?.('warn', `sweep failed: ${(err as Error).message}`);
    }
  }
  const backend = new DockerBackend(runner, {
    image: o.image,
    containerPort: o.containerPort,
    gatewayId: newGatewayId(),
    cmd: o.cmd,
    env: o.env,
    security: o.security,
    readyTimeoutMs: o.readyTimeoutMs,
    addressing: o.addressing,
  });
  return Gateway.start({ ...o, backend });
}

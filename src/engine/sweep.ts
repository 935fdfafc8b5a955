/**
 * Owner identity of this process and the sweep that removes orphaned throwaway containers.
 *
 * Design (two VS Code windows must never sweep each other's live containers): every throwaway
 * container is labelled with its session id, the owner's pid, hostname and process start time
 * (Linux `/proc/PID/stat` field 22). A container is an orphan only when it was created on this
 * host and its owner process is gone (or the pid now belongs to a different process, detected by
 * the start time). Containers of other hosts sharing a remote engine are left alone. Each window's
 * extension host is its own process, so a live window's containers are always kept.
 */
import type Docker from 'dockerode';
import { LABEL_KIND, LABEL_OWNER_PID, LABEL_POOL, LABEL_THROWAWAY, sweepVerdict, type OwnerIdentity, type SweepVerdict } from '../core/labels';
import { processStartTicks } from './owner';
import { engineMessage } from './engineErrors';
import { removeContainer } from './transaction';

/** One container the sweep looked at. */
export interface SweptContainer {
  id: string;
  /** First name without the leading '/'. */
  name: string;
  image: string;
  state: string;
  kind: string;
  pool?: string;
  ownerSession: string;
  ownerPid: string;
  verdict: SweepVerdict;
  /** Set when removal was attempted and failed. */
  error?: string;
}

/** What a sweep did. */
export interface SweepReport {
  removed: SweptContainer[];
  kept: SweptContainer[];
  failed: SweptContainer[];
}

/**
 * Remove throwaway containers (label `io.container-lineage.throwaway`) that no live session owns:
 * see {@link sweepVerdict} for the rules. Only containers carrying our label are ever looked at.
 * @param docker engine client.
 * @param self the sweeping session (its own containers are always kept).
 * @param options.processStart liveness probe (default {@link processStartTicks}; injectable for tests).
 * @param options.labels extra label filters (`key` or `key=value`) narrowing the sweep (tests).
 * @throws the engine error when the container list cannot be read.
 */
export async function sweepOrphans(
  docker: Docker,
  self: OwnerIdentity,
  options: { processStart?: (pid: number) => string | undefined; labels?: string[] } = {},
): Promise<SweepReport> {
  const processStart = options.processStart ?? processStartTicks;
  const list = await docker.listContainers({ all: true, filters: { label: [LABEL_THROWAWAY, ...(options.labels ?? [])] } });
  const report: SweepReport = { removed: [], kept: [], failed: [] };
  await Promise.all(
    list.map(async (info) => {
      const labels = info.Labels ?? {};
      const entry: SweptContainer = {
        id: info.Id,
        name: (info.Names?.[0] ?? '').replace(/^\//, ''),
        image: info.Image,
        state: info.State,
        kind: labels[LABEL_KIND] ?? 'transaction',
        pool: labels[LABEL_POOL],
        ownerSession: labels[LABEL_THROWAWAY] ?? '',
        ownerPid: labels[LABEL_OWNER_PID] ?? '',
        verdict: sweepVerdict(labels, self, processStart),
      };
      if (entry.verdict.action === 'keep') {
        report.kept.push(entry);
        return;
      }
      try {
        await removeContainer(docker, info.Id);
        report.removed.push(entry);
      } catch (err) {
        entry.error = engineMessage(err);
        report.failed.push(entry);
      }
    }),
  );
  return report;
}

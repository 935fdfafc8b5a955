/**
 * Labels that mark the containers the throwaway-container feature creates, and a pure classifier
 * for views (the Containers view marks throwaway and pooled containers).
 *
 * Every container we create carries:
 * - `io.container-lineage.throwaway=<session id>` — the creating session (one per extension host
 *   window or CLI process);
 * - `io.container-lineage.owner-pid=<pid>`, `io.container-lineage.owner-host=<hostname>`,
 *   `io.container-lineage.owner-start=<process start ticks or ''>` — who owns it, so a sweep can
 *   tell a live owner from a dead one (the start time defeats PID reuse on Linux);
 * - `io.container-lineage.created=<ISO 8601 time>`;
 * - pooled (warm pool) containers also `io.container-lineage.pool=<image>`;
 * - throwaway shells also `io.container-lineage.kind=shell` (transactions: `transaction`,
 *   pool: `pool`; the session gateway's containers and network: `session`);
 * - the session gateway's containers and network also `io.container-lineage.serve=<gateway id>`.
 */

export const LABEL_THROWAWAY = 'io.container-lineage.throwaway';
export const LABEL_OWNER_PID = 'io.container-lineage.owner-pid';
export const LABEL_OWNER_HOST = 'io.container-lineage.owner-host';
export const LABEL_OWNER_START = 'io.container-lineage.owner-start';
export const LABEL_CREATED = 'io.container-lineage.created';
export const LABEL_POOL = 'io.container-lineage.pool';
export const LABEL_KIND = 'io.container-lineage.kind';
export const LABEL_SERVE = 'io.container-lineage.serve';

/** What a throwaway container is used for. */
export type ThrowawayKind = 'transaction' | 'pool' | 'shell' | 'session';

/** How the Containers view should mark a container. */
export type ContainerMark = 'throwaway' | 'pooled';

/**
 * Classify a container from its labels (as returned by the engine's container list, `Labels`).
 * @returns 'pooled' for warm-pool containers, 'throwaway' for any other container created by the
 *   throwaway feature (transactions, throwaway shells), undefined for everything else.
 */
export function classifyContainer(labels: Readonly<Record<string, string>> | null | undefined): ContainerMark | undefined {
  if (!labels || labels[LABEL_THROWAWAY] === undefined) return undefined;
  return labels[LABEL_POOL] !== undefined ? 'pooled' : 'throwaway';
}

/** Identity of the process that owns throwaway containers. */
export interface OwnerIdentity {
  /** Session id: unique per extension host window / CLI process. */
  sessionId: string;
  pid: number;
  hostname: string;
  /** Process start time (Linux: field 22 of /proc/PID/stat, clock ticks since boot); '' if unknown. */
  startTicks: string;
}

/**
 * The labels every throwaway container gets.
 * @param owner the creating session.
 * @param kind what the container is for.
 * @param now creation time (default: now).
 * @param pool image reference for warm-pool containers.
 */
export function throwawayLabels(owner: OwnerIdentity, kind: ThrowawayKind, now: Date = new Date(), pool?: string): Record<string, string> {
  const labels: Record<string, string> = {
    [LABEL_THROWAWAY]: owner.sessionId,
    [LABEL_OWNER_PID]: String(owner.pid),
    [LABEL_OWNER_HOST]: owner.hostname,
    [LABEL_OWNER_START]: owner.startTicks,
    [LABEL_CREATED]: now.toISOString(),
    [LABEL_KIND]: kind,
  };
  if (pool !== undefined) labels[LABEL_POOL] = pool;
  return labels;
}

/** Why a sweep keeps or removes a labelled container. */
export type SweepVerdict =
  | { action: 'keep'; reason: 'own-session' | 'owner-alive' | 'other-host' }
  | { action: 'remove'; reason: 'owner-dead' | 'owner-pid-reused' | 'no-owner' };

/**
 * Decide whether a labelled container is an orphan (pure; the caller supplies what it knows).
 * Rules: our own session's containers are kept; containers created on another host are kept (we
 * cannot see that host's processes); a container whose owner pid is not alive here, or alive but
 * with a different process start time (PID reused), is removed; a container with no usable owner
 * labels is removed.
 * @param labels the container's labels.
 * @param self the sweeping session.
 * @param processStart returns the start ticks of a live pid ('' when alive but unknown), or
 *   undefined when no such process exists.
 */
export function sweepVerdict(
  labels: Readonly<Record<string, string>>,
  self: OwnerIdentity,
  processStart: (pid: number) => string | undefined,
): SweepVerdict {
  if (labels[LABEL_THROWAWAY] === self.sessionId) return { action: 'keep', reason: 'own-session' };
  const host = labels[LABEL_OWNER_HOST];
  if (host !== undefined && host !== self.hostname) return { action: 'keep', reason: 'other-host' };
  const pid = Number(labels[LABEL_OWNER_PID]);
  if (!Number.isInteger(pid) || pid <= 0) return { action: 'remove', reason: 'no-owner' };
  const start = processStart(pid);
  if (start === undefined) return { action: 'remove', reason: 'owner-dead' };
  const recorded = labels[LABEL_OWNER_START];
  if (recorded && start && recorded !== start) return { action: 'remove', reason: 'owner-pid-reused' };
  return { action: 'keep', reason: 'owner-alive' };
}

/**
 * Containers a "commit as child image" picker may offer. Left out: warm-pool containers and
 * transaction containers (each serves one transaction and is then destroyed, so committing one
 * would race its removal) and session containers of the gateway (they hold one user's private
 * session state: committing one would copy it into an image). Throwaway shells stay: customising
 * one and committing it before it goes is the hands-on way to make a child image.
 * @param list containers with their labels (the engine's list entries).
 */
export function commitCandidates<T extends { Labels?: Readonly<Record<string, string>> | null }>(list: readonly T[]): T[] {
  return list.filter((c) => {
    const mark = classifyContainer(c.Labels);
    if (mark === 'pooled') return false;
    const kind = c.Labels?.[LABEL_KIND];
    return !(mark === 'throwaway' && (kind === 'session' || kind === 'transaction' || c.Labels?.[LABEL_SERVE] !== undefined));
  });
}

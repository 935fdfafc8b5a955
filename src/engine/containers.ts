/**
 * Container operations for the views' commands (start, stop, restart, remove) and the subtree
 * removal used when an image is removed with everything built on it. No `vscode` import.
 */
import type Docker from 'dockerode';
import type { RemovalPlan } from '../core/lineage';
import { engineErrorMessage, removeImage } from './images';

/** Start a container (`POST /containers/{id}/start`); starting a running container is a no-op. */
export async function startContainer(docker: Docker, id: string): Promise<void> {
  await ignore304(docker.getContainer(id).start());
}

/** Stop a container, waiting `timeoutSeconds` (default 10, like the CLI) before SIGKILL. */
export async function stopContainer(docker: Docker, id: string, timeoutSeconds = 10): Promise<void> {
  await ignore304(docker.getContainer(id).stop({ t: timeoutSeconds }));
}

/** Restart a container (`POST /containers/{id}/restart`). */
export async function restartContainer(docker: Docker, id: string, timeoutSeconds = 10): Promise<void> {
  await docker.getContainer(id).restart({ t: timeoutSeconds });
}

/**
 * Remove a container. `force` kills a running container first (the command asks before).
 * Anonymous volumes are kept (like `docker rm` without `-v`): nothing the user made is lost.
 */
export async function removeContainer(docker: Docker, id: string, force = false): Promise<void> {
  await docker.getContainer(id).remove({ force, v: false });
}

/** Raw inspect JSON of a container (for the read-only inspect document). */
export async function inspectContainer(docker: Docker, id: string): Promise<unknown> {
  return docker.getContainer(id).inspect();
}

/** Outcome of {@link removeSubtree}: what was removed and what failed (with the engine message). */
export interface SubtreeRemoval {
  removedContainers: string[];
  removedImages: string[];
  failures: Array<{ id: string; kind: 'container' | 'image'; message: string }>;
}

/**
 * Remove an image subtree computed by `removalPlan` (core/lineage): every container first
 * (forced: running ones are killed), then images deepest first, the target last. Images are
 * removed by ID with `force` so that an image with several tags goes at once; an image whose
 * removal fails (e.g. a container created meanwhile) is reported and its ancestors are still
 * attempted (the engine refuses those that still have dependants). 404s count as removed.
 */
export async function removeSubtree(docker: Docker, plan: RemovalPlan): Promise<SubtreeRemoval> {
  const out: SubtreeRemoval = { removedContainers: [], removedImages: [], failures: [] };
  for (const c of plan.containers) {
    try {
      await docker.getContainer(c.id).remove({ force: true, v: false });
      out.removedContainers.push(c.id);
    } catch (err) {
      if (statusOf(err) === 404) out.removedContainers.push(c.id);
      else out.failures.push({ id: c.id, kind: 'container', message: engineErrorMessage(err) });
    }
  }
  for (const n of plan.images) {
    try {
      await removeImage(docker, n.image.id, true);
      out.removedImages.push(n.image.id);
    } catch (err) {
      if (statusOf(err) === 404) out.removedImages.push(n.image.id);
      else out.failures.push({ id: n.image.id, kind: 'image', message: engineErrorMessage(err) });
    }
  }
  return out;
}

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number })?.statusCode;
}

async function ignore304(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (statusOf(err) !== 304) throw err;
  }
}

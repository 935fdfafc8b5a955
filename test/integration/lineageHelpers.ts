/** Helpers of the lineage integration suite: API call counting on a real client, polling. */
import type Docker from 'dockerode';

/** Counts engine API calls made through a real dockerode client (wraps its methods in place). */
export interface CallCounts {
  listImages: number;
  listContainers: number;
  inspect: number;
  history: number;
}
export function countCalls(docker: Docker): { counts: CallCounts; inspected: string[]; reset(): void; restore(): void } {
  const counts: CallCounts = { listImages: 0, listContainers: 0, inspect: 0, history: 0 };
  const inspected: string[] = [];
  const d = docker as unknown as Record<string, (...a: unknown[]) => unknown>;
  const orig = { listImages: d.listImages, listContainers: d.listContainers, getImage: d.getImage };
  d.listImages = function (...a: unknown[]) {
    counts.listImages++;
    return orig.listImages.apply(docker, a);
  };
  d.listContainers = function (...a: unknown[]) {
    counts.listContainers++;
    return orig.listContainers.apply(docker, a);
  };
  d.getImage = function (...a: unknown[]) {
    const image = orig.getImage.apply(docker, a) as Record<string, (...b: unknown[]) => unknown>;
    const inspect = image.inspect;
    const history = image.history;
    image.inspect = function (...b: unknown[]) {
      counts.inspect++;
      inspected.push(String(a[0]));
      return inspect.apply(image, b);
    };
    image.history = function (...b: unknown[]) {
      counts.history++;
      return history.apply(image, b);
    };
    return image;
  };
  return {
    counts,
    inspected,
    reset: () => {
      Object.assign(counts, { listImages: 0, listContainers: 0, inspect: 0, history: 0 });
      inspected.length = 0;
    },
    restore: () => Object.assign(d, orig),
  };
}

/** Poll `predicate` every 50 ms until it returns a value, or fail after `timeoutMs`. */
export async function waitFor<T>(what: string, predicate: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = predicate();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

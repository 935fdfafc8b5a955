/**
 * Moving images between the engines of the parameterised suites (no engine connection of its own:
 * the VS Code suites bundle lineageFamily.ts, which uses this, without dockerode's native parts).
 */
import type Docker from 'dockerode';

/**
 * Copy images from one engine to another by their references or IDs (`GET /images/get` →
 * `POST /images/load`, i.e. `docker save | podman load` through the API). Image IDs stay the same;
 * Podman names a loaded `x:1` `localhost/x:1`, and an image saved by ID arrives untagged.
 */
export async function copyImages(from: Docker, to: Docker, refs: readonly string[]): Promise<void> {
  if (refs.length === 0) return;
  // dockerode has `getImages` (GET /images/get with several names); its types lack it.
  const save = (from as unknown as { getImages(o: { names: string[] }): Promise<NodeJS.ReadableStream> }).getImages;
  const archive = await save.call(from, { names: [...refs] });
  const out = await to.loadImage(archive, { quiet: true });
  await new Promise<void>((resolve, reject) => {
    out.on('data', () => undefined);
    out.on('end', resolve);
    out.on('error', reject);
  });
}

/**
 * Remove images by ID on an engine, children before parents: rounds of unforced removal until
 * none is left or a round removes nothing; 404s count as removed. Never touches other images.
 */
export async function removeImagesById(docker: Docker, ids: readonly string[]): Promise<void> {
  let left = [...new Set(ids)];
  for (let round = 0; round < 8 && left.length > 0; round++) {
    const next: string[] = [];
    for (const id of left) {
      try {
        await docker.getImage(id).remove({ force: true });
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404) next.push(id);
      }
    }
    if (next.length === left.length) break;
    left = next;
  }
}

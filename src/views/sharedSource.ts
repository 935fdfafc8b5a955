/**
 * One {@link LineageSource} per extension host, shared by everything that shows images: the
 * Images and Containers views and the FROM code lenses. One event stream, one image list, one
 * inspect cache: a lens and the tree always count the same images, updated by the same event.
 * Created on first use and disposed with the extension. Inspect and history results persist in
 * the extension's global storage (`image-cache/`, one file per engine), shared by every window:
 * a window reload on known images costs no inspect.
 */
import { join } from 'node:path';
import { LineageSource } from '../engine/lineageSource';
import { ImageCacheStore } from '../store/imageCacheStore';
import type { Services } from '../services';

const sources = new WeakMap<Services, LineageSource>();

/** The shared source of `services` (created, and registered for disposal, on the first call). */
export function lineageSourceFor(services: Services): LineageSource {
  let source = sources.get(services);
  if (!source) {
    const { engine, log, context } = services;
    const cacheDir = join(context.globalStorageUri.fsPath, 'image-cache');
    const created = new LineageSource(engine, {
      log: (level, message) => log[level](message),
      imageCache: (engineKey) => ImageCacheStore.forEngine(cacheDir, engineKey, { warn: (message) => log.warn(message) }),
    });
    source = created;
    sources.set(services, created);
    context.subscriptions.push({
      dispose: () => {
        created.dispose();
        if (sources.get(services) === created) sources.delete(services);
      },
    });
  }
  return source;
}

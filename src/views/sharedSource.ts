/**
 * One {@link LineageSource} per extension host, shared by everything that shows images: the
 * Images and Containers views and the FROM code lenses. One event stream, one image list, one
 * inspect cache: a lens and the tree always count the same images, updated by the same event.
 * Created on first use and disposed with the extension.
 */
import { LineageSource } from '../engine/lineageSource';
import type { Services } from '../services';

const sources = new WeakMap<Services, LineageSource>();

/** The shared source of `services` (created, and registered for disposal, on the first call). */
export function lineageSourceFor(services: Services): LineageSource {
  let source = sources.get(services);
  if (!source) {
    const { engine, log, context } = services;
    const created = new LineageSource(engine, { log: (level, message) => log[level](message) });
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

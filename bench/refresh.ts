/**
 * bench/refresh: engine API calls and milliseconds of the lineage refresh against the real engine
 * with at least 300 images (made here by committing a container 300 times with distinct labels,
 * all labelled io.container-lineage.test=bench-refresh and removed at the end):
 *  - full first load (empty inspect cache),
 *  - refresh after one new image (cache warm),
 *  - calls made in 60 s idle with the event stream open (must be 0),
 * against a baseline measured in the same run: an uncached refresh (list + inspect every image),
 * which is what a refresh costs without the cache.
 * The committed images share one layer chain (busybox + the same container layer), so each also
 * needs its history once (rule 4, same-chain siblings decided by history); both are cached by ID.
 * Run: npm run bench -- refresh   (IDLE_SECONDS=60 by default; set lower for a quick look)
 */
import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { EngineConnection } from '../src/engine/connection';
import { ImageCatalog } from '../src/engine/images';
import { LineageSource } from '../src/engine/lineageSource';

const LABEL = 'io.container-lineage.test=bench-refresh';
const TARGET_IMAGES = Number(process.env.IMAGES ?? 300);
const IDLE_SECONDS = Number(process.env.IDLE_SECONDS ?? 60);

interface Counts {
  calls: number;
  list: number;
  inspect: number;
  history: number;
}
function counting(docker: Docker): { counts: Counts; restore(): void } {
  const counts: Counts = { calls: 0, list: 0, inspect: 0, history: 0 };
  const d = docker as unknown as Record<string, (...a: unknown[]) => unknown>;
  const orig = { listImages: d.listImages, listContainers: d.listContainers, getImage: d.getImage, getEvents: d.getEvents };
  for (const k of ['listImages', 'listContainers', 'getEvents'] as const) {
    d[k] = function (...a: unknown[]) {
      counts.calls++;
      if (k !== 'getEvents') counts.list++;
      return orig[k].apply(docker, a);
    };
  }
  d.getImage = function (...a: unknown[]) {
    const image = orig.getImage.apply(docker, a) as Record<string, (...b: unknown[]) => unknown>;
    for (const m of ['inspect', 'history']) {
      const f = image[m];
      image[m] = function (...b: unknown[]) {
        counts.calls++;
        counts[m as 'inspect' | 'history']++;
        return f.apply(image, b);
      };
    }
    return image;
  };
  return { counts, restore: () => Object.assign(d, orig) };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

async function main(): Promise<void> {
  const engine = new EngineConnection({ env: process.env, retry: false });
  const state = await engine.connect();
  if (state.kind !== 'connected') throw new Error('no engine: run scripts/engine.sh first');
  const docker = engine.docker();
  const suffix = randomBytes(3).toString('hex');
  const existing = (await docker.listImages()).length;
  const toMake = Math.max(0, TARGET_IMAGES - existing + 1);
  const made: string[] = [];
  const work = await docker.createContainer({ Image: 'busybox:latest', Cmd: ['true'], Labels: { 'io.container-lineage.test': 'bench-refresh' }, HostConfig: { NetworkMode: 'none' } });
  try {
    process.stdout.write(`making ${toMake} images (engine has ${existing})… `);
    for (let i = 0; i < toMake; i++) {
      const r = (await work.commit({ repo: `cl-bench-refresh-${suffix}`, tag: String(i), changes: [`LABEL ${LABEL}`, `LABEL n=${i}`], pause: false })) as { Id: string };
      made.push(r.Id);
    }
    console.log('done');
    const total = (await docker.listImages()).length;

    const catalog = new ImageCatalog();
    let c = counting(docker);
    const first = await timed(() => catalog.listImages(docker));
    const firstCalls = c.counts.calls;
    const firstDetail = { ...c.counts };
    c.restore();

    c = counting(docker);
    const baseline = await timed(() => new ImageCatalog().listImages(docker));
    const baselineCalls = c.counts.calls;
    c.restore();

    const r = (await work.commit({ repo: `cl-bench-refresh-${suffix}`, tag: 'new', changes: [`LABEL ${LABEL}`, 'LABEL n=new'], pause: false })) as { Id: string };
    made.push(r.Id);
    c = counting(docker);
    const after = await timed(() => catalog.listImages(docker));
    const afterCalls = c.counts.calls;
    const afterDetail = { ...c.counts };
    c.restore();

    const source = new LineageSource(engine);
    const hold = source.acquire();
    while (!source.snapshot || !source.events.open) await new Promise((res) => setTimeout(res, 50));
    // The engine is shared: count the events that arrive meanwhile (each may cause a refresh).
    let events = 0;
    const sub = source.events.onEvent(() => events++);
    c = counting(docker);
    await new Promise((res) => setTimeout(res, IDLE_SECONDS * 1000));
    const idleCalls = c.counts.calls;
    sub.dispose();
    c.restore();
    hold.dispose();
    source.dispose();

    console.log(`images on the engine: ${total}`);
    const detail = (d: Counts) => `(${d.list} list, ${d.inspect} inspect, ${d.history} history)`;
    console.log(`full first load:              ${String(firstCalls).padStart(5)} calls ${first.ms.toFixed(0).padStart(7)} ms (${first.value.length} images) ${detail(firstDetail)}`);
    console.log(`uncached refresh (baseline):  ${String(baselineCalls).padStart(5)} calls ${baseline.ms.toFixed(0).padStart(7)} ms`);
    console.log(
      `refresh after one new image:  ${String(afterCalls).padStart(5)} calls ${after.ms.toFixed(0).padStart(7)} ms  = ${(afterCalls / baselineCalls).toFixed(3)}x calls, ${(after.ms / baseline.ms).toFixed(3)}x time of the baseline ${detail(afterDetail)}`,
    );
    console.log(`calls in ${IDLE_SECONDS} s idle (stream open): ${idleCalls}, engine events meanwhile: ${events} (no event → must be 0 calls; events come from other users of a shared engine)`);
    if (events === 0 && idleCalls !== 0) process.exitCode = 1;
  } finally {
    await work.remove({ force: true }).catch(() => undefined);
    for (const id of made.reverse()) await docker.getImage(id).remove({ force: true }).catch(() => undefined);
    engine.dispose();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

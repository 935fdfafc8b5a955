/**
 * bench/reload: what opening the Images view costs after a window reload, with the persistent
 * image cache (store/imageCacheStore in a temporary folder, as the extension's global storage).
 * Each "window" is a new EngineConnection and a new LineageSource (what a reload creates),
 * timed from `acquire()` (the view became visible) to its first snapshot; engine calls are
 * counted at the engine layer (every HTTP request the window's dockerode client dials, the event
 * stream included; the connect handshake before it is the same with or without the cache and
 * is not counted).
 *  - baseline, today's reload: a window without the persistent cache (every image inspected,
 *    histories fetched), measured in the same run;
 *  - cold start: an empty cache folder (the same work, then the cache is written in the background);
 *  - warm reload: a new window on the same folder, every image known;
 *  - after one new image: the warm window's event-driven refresh (200 ms debounce included), and
 *    the next reload (which finds that image saved by the window that saw it).
 * Images: at least 300 (made by committing a container with distinct labels, all named
 * cl-imagecache-bench-*, labelled io.container-lineage.test=bench-reload and removed at the end).
 * Goal (issue 12, goal 2): warm reload ≤ 3 engine calls and ≤ 0.2× the baseline's time.
 * Run: npm run bench -- reload   (IMAGES=300 by default)
 */
import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineConnection } from '../src/engine/connection';
import { LineageSource } from '../src/engine/lineageSource';
import { ImageCacheStore } from '../src/store/imageCacheStore';

const LABEL = 'io.container-lineage.test=bench-reload';
const TARGET_IMAGES = Number(process.env.IMAGES ?? 300);
const MAX_CALLS = 3;
const MAX_RATIO = 0.2;

/** Counts every request `docker` dials (method and path), until restored. */
function countDials(docker: Docker): { paths: string[]; restore(): void } {
  const modem = (docker as unknown as { modem: { dial: (o: { method?: string; path?: string }, cb: unknown) => unknown } }).modem;
  const orig = modem.dial;
  const paths: string[] = [];
  modem.dial = function (o, cb) {
    paths.push(`${o.method ?? 'GET'} ${(o.path ?? '').split('?')[0]}`);
    return orig.call(this, o, cb);
  };
  return { paths, restore: () => (modem.dial = orig) };
}

/** `paths` summarised: "1 GET /images/json, 300 GET /images/{id}/json, …". */
function summary(paths: string[]): string {
  const by = new Map<string, number>();
  for (const p of paths) {
    const key = p.replace(/\/images\/[^/]+\/(json|history)$/, '/images/{id}/$1');
    by.set(key, (by.get(key) ?? 0) + 1);
  }
  return [...by].map(([k, n]) => `${n} ${k}`).join(', ');
}

interface Window {
  engine: EngineConnection;
  source: LineageSource;
  hold: { dispose(): void };
  counter: { paths: string[]; restore(): void };
  ms: number;
}

/** A new window: connect, then time acquire() → first snapshot. `cacheDir` undefined: no persistent cache. */
async function openWindow(cacheDir: string | undefined): Promise<Window> {
  const engine = new EngineConnection({ env: process.env, retry: false });
  const state = await engine.connect();
  if (state.kind !== 'connected') throw new Error('no engine: run scripts/engine.sh first');
  const counter = countDials(engine.docker());
  const source = new LineageSource(engine, { imageCache: cacheDir ? (key) => ImageCacheStore.forEngine(cacheDir, key, { warn: console.warn }) : undefined });
  const t0 = performance.now();
  const first = new Promise<void>((resolve) => {
    const sub = source.onDidChange(() => {
      if (source.snapshot) (sub.dispose(), resolve());
    });
  });
  const hold = source.acquire();
  await first;
  const ms = performance.now() - t0;
  return { engine, source, hold, counter, ms };
}

async function closeWindow(w: Window): Promise<void> {
  w.counter.restore();
  w.hold.dispose();
  await w.source.catalog.saved();
  w.source.dispose();
  w.engine.dispose();
}

const line = (what: string, calls: number, ms: number, extra = '') => `${what.padEnd(34)} ${String(calls).padStart(5)} calls ${ms.toFixed(0).padStart(7)} ms${extra}`;

async function main(): Promise<void> {
  const engine = new EngineConnection({ env: process.env, retry: false });
  const state = await engine.connect();
  if (state.kind !== 'connected') throw new Error('no engine: run scripts/engine.sh first');
  const docker = engine.docker();
  const suffix = randomBytes(3).toString('hex');
  const repo = `cl-imagecache-bench-${suffix}`;
  const existing = (await docker.listImages()).length;
  const toMake = Math.max(0, TARGET_IMAGES - existing + 1);
  const made: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'cl-imagecache-bench-'));
  const work = await docker.createContainer({ Image: 'busybox:latest', Cmd: ['true'], name: `${repo}-work`, Labels: { 'io.container-lineage.test': 'bench-reload' }, HostConfig: { NetworkMode: 'none' } });
  try {
    process.stdout.write(`making ${toMake} images (engine has ${existing})… `);
    for (let i = 0; i < toMake; i++) {
      const r = (await work.commit({ repo, tag: String(i), changes: [`LABEL ${LABEL}`, `LABEL n=${i}`], pause: false })) as { Id: string };
      made.push(r.Id);
    }
    console.log('done');

    const today = await openWindow(undefined);
    const todayCalls = today.counter.paths.length;
    const todayDetail = summary(today.counter.paths);
    await closeWindow(today);

    const cold = await openWindow(dir);
    const coldCalls = cold.counter.paths.length;
    const coldDetail = summary(cold.counter.paths);
    const s0 = performance.now();
    await cold.source.catalog.saved();
    const saveMs = performance.now() - s0;
    await closeWindow(cold);
    const images = cold.source.snapshot?.images.length ?? 0;

    const warm = await openWindow(dir);
    const warmCalls = warm.counter.paths.length;
    const warmDetail = summary(warm.counter.paths);
    const warmMs = warm.ms;

    // One new image while the warm window is open: its event-driven refresh.
    warm.counter.paths.length = 0;
    let events = 0;
    const sub = warm.source.events.onEvent(() => events++);
    const t0 = performance.now();
    const r = (await work.commit({ repo, tag: 'new', changes: [`LABEL ${LABEL}`, 'LABEL n=new'], pause: false })) as { Id: string };
    made.push(r.Id);
    while (!warm.source.snapshot?.images.some((i) => i.id === r.Id)) await new Promise((res) => setTimeout(res, 5));
    const newMs = performance.now() - t0;
    const newCalls = warm.counter.paths.length;
    const newDetail = summary(warm.counter.paths);
    sub.dispose();
    await closeWindow(warm);

    const again = await openWindow(dir);
    const againCalls = again.counter.paths.length;
    const againDetail = summary(again.counter.paths);
    await closeWindow(again);

    console.log(`images on the engine: ${images}; calls counted at the engine layer (every request of the window's client)`);
    console.log(line("baseline: today's reload (no cache)", todayCalls, today.ms, `  (${todayDetail})`));
    console.log(line('cold start (empty cache)', coldCalls, cold.ms, `  (${coldDetail}); cache written in the background in ${saveMs.toFixed(0)} ms`));
    console.log(line('warm reload (all known)', warmCalls, warmMs, `  = ${(warmMs / today.ms).toFixed(3)}x the baseline's time (${warmDetail})`));
    console.log(line('refresh after one new image', newCalls, newMs, `  (event-driven in the open window, 200 ms debounce included; ${newDetail}; engine events meanwhile: ${events})`));
    console.log(line('next reload', againCalls, again.ms, `  (the new image was saved by the window that saw it; ${againDetail})`));
    const met = warmCalls <= MAX_CALLS && warmMs <= MAX_RATIO * today.ms;
    console.log(`goal 2 (warm reload ≤ ${MAX_CALLS} calls and ≤ ${MAX_RATIO}x today's first load): ${warmCalls} calls, ${(warmMs / today.ms).toFixed(3)}x → ${met ? 'MET' : 'NOT MET'}`);
    if (!met) process.exitCode = 1;
  } finally {
    await work.remove({ force: true }).catch(() => undefined);
    for (const id of made.reverse()) await docker.getImage(id).remove({ force: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    engine.dispose();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

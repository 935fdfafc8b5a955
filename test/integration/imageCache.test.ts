/**
 * The persistent image cache on the real engines (Docker and Podman): a second window (a new
 * connection and a new LineageSource on the same cache folder, as after a window reload) knows
 * every image the first one saw and pays only the event stream, the image list and the container
 * list; it still sees an image built meanwhile, and an image removed from the engine leaves the
 * cache file. Calls are counted at the engine layer (every request the window's client dials).
 * Images made here are named cl-imagecache-* and labelled io.container-lineage.test=imagecache.
 */
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineConnection } from '../../src/engine/connection';
import type { ImageRecord } from '../../src/core/lineage';
import { removeImage } from '../../src/engine/images';
import { imageCacheKey, LineageSource } from '../../src/engine/lineageSource';
import { ImageCacheStore } from '../../src/store/imageCacheStore';
import { run as runTree, type TreeJsonNode } from '../../src/cli/tree';
import { ENGINES } from './engines';
import { followBuild, TEST_LABEL } from './lineageFamily';
import { waitFor } from './lineageHelpers';

/** Build `dockerfile` as `tag` (classic API build; Podman builds it with Buildah). Returns the image ID. */
async function build(docker: Docker, tag: string, dockerfile: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cl-imagecache-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), dockerfile);
    const stream = await docker.buildImage({ context: dir, src: ['Dockerfile'] }, { t: tag, labels: { [TEST_LABEL]: 'imagecache' }, rm: true, forcerm: true, networkmode: 'none' });
    await followBuild(docker, stream);
    return (await docker.getImage(tag).inspect()).Id;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every request `docker` dials ("GET /images/json"), until restored. */
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

describe('persistent image cache on the real engines (Docker and Podman)', function () {
  this.timeout(300_000);
  for (const target of ENGINES) {
    describe(`on ${target.label}`, () => {
      const suffix = randomBytes(4).toString('hex');
      const tags = { a: `cl-imagecache-a-${suffix}:1`, b: `cl-imagecache-b-${suffix}:1`, c: `cl-imagecache-c-${suffix}:1`, d: `cl-imagecache-d-${suffix}:1` };
      const ids: Record<string, string> = {};
      let owner: { engine: EngineConnection; docker: Docker };
      /** The storage folder of the current test (a fresh one per test and per retry: a retry must not find its first try's cache). */
      let dir: string;
      const dirs: string[] = [];
      const windows: Array<{ engine: EngineConnection; source: LineageSource; hold: { dispose(): void } }> = [];

      /** A new window: its own connection and source on `dir`, visible (acquired). */
      /**
       * `toFirstSnapshot`: the requests made until the first snapshot was emitted (what opening the
       * view cost; later requests answer other users' events on the shared engine).
       */
      async function openWindow(): Promise<{ engine: EngineConnection; docker: Docker; source: LineageSource; counter: ReturnType<typeof countDials>; toFirstSnapshot: string[] }> {
        const { engine, docker } = await target.connect();
        const counter = countDials(docker);
        const source = new LineageSource(engine, { debounceMs: 50, imageCache: (key) => ImageCacheStore.forEngine(dir, key) });
        let toFirstSnapshot: string[] | undefined;
        const sub = source.onDidChange(() => {
          if (source.snapshot && !toFirstSnapshot) toFirstSnapshot = [...counter.paths];
        });
        windows.push({ engine, source, hold: source.acquire() });
        await waitFor('first snapshot', () => toFirstSnapshot);
        sub.dispose();
        return { engine, docker, source, counter, toFirstSnapshot: toFirstSnapshot! };
      }

      before(async () => {
        owner = await target.connect();
        ids.a = await build(owner.docker, tags.a, `FROM busybox:latest\nLABEL cl-imagecache=${suffix}-a\nRUN echo a > /a-${suffix}\n`);
        ids.b = await build(owner.docker, tags.b, `FROM ${tags.a}\nRUN echo b > /b-${suffix}\n`);
      });

      beforeEach(() => {
        dir = mkdtempSync(join(tmpdir(), 'cl-imagecache-store-'));
        dirs.push(dir);
      });

      after(async () => {
        for (const w of windows) {
          w.hold.dispose();
          await w.source.catalog.saved();
          w.source.dispose();
          w.engine.dispose();
        }
        if (owner) for (const tag of [tags.d, tags.c, tags.b, tags.a]) await owner.docker.getImage(tag).remove({ force: true }).catch(() => undefined);
        owner?.engine.dispose();
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
      });

      it('a second window on the same storage folder makes ≤ 3 calls for known images, and still sees a newly built image', async () => {
        const first = await openWindow();
        assert.ok(first.source.snapshot!.images.some((i) => i.id === ids.b));
        assert.ok(first.counter.paths.some((p) => p === `GET /images/${ids.b}/json`), 'the first window inspects');
        await first.source.catalog.saved();
        first.counter.restore();
        assert.equal(readdirSync(dir).filter((f) => f.endsWith('.json')).length, 1, 'one cache file for the engine');

        const second = await openWindow();
        try {
          // Other users of the shared engine may have made images since: those are inspected, and only those.
          const known = new Set(first.source.snapshot!.images.map((i) => i.id));
          const perImage = (p: string) => /^GET \/images\/([^/]+)\/(json|history)$/.exec(p)?.[1];
          const calls = second.toFirstSnapshot.filter((p) => !perImage(p) || known.has(perImage(p)!));
          assert.ok(calls.length <= 3, `≤ 3 calls for known images, got ${calls.join(', ')}`);
          assert.deepEqual(calls.filter(perImage), [], 'no inspect or history of a known image');
          // Sorted by ID: the engine lists images by Created in whole seconds, and a and b (built within one second) tie in any order.
          const pick = (images: ImageRecord[]) =>
            images
              .filter((i) => i.id === ids.a || i.id === ids.b)
              .map((i) => [i.id, i.parent, i.layers, i.labels, i.created, i.size])
              .sort((x, y) => String(x[0]).localeCompare(String(y[0])));
          assert.equal(pick(first.source.snapshot!.images).length, 2);
          assert.deepEqual(pick(second.source.snapshot!.images), pick(first.source.snapshot!.images), 'the cached records equal the inspected ones');

          second.counter.paths.length = 0;
          ids.c = await build(owner.docker, tags.c, `FROM ${tags.b}\nRUN echo c > /c-${suffix}\n`);
          const c = await waitFor('new image seen by the second window', () => second.source.snapshot?.images.find((i) => i.id === ids.c));
          const inspect = await owner.docker.getImage(ids.c).inspect();
          assert.deepEqual(c.layers, inspect.RootFS.Layers);
          assert.ok(second.counter.paths.includes(`GET /images/${ids.c}/json`), 'the new image is inspected');
          assert.ok(!second.counter.paths.includes(`GET /images/${ids.b}/json`), 'a known image is not');
        } finally {
          second.counter.restore();
        }
      });

      it('an image gone from the engine leaves the cache file', async () => {
        const w = (await openWindow()).source;
        ids.d = await build(owner.docker, tags.d, `FROM ${tags.a}\nRUN echo d > /d-${suffix}\n`);
        await waitFor('new image seen', () => w.snapshot?.images.some((i) => i.id === ids.d));
        await w.catalog.saved();
        const state = owner.engine.state;
        assert.equal(state.kind, 'connected');
        const store = ImageCacheStore.forEngine(dir, imageCacheKey(state));
        assert.ok((await store.load()).has(ids.d), 'the new image was saved');
        await removeImage(owner.docker, tags.d);
        await waitFor('removal seen', () => !w.snapshot?.images.some((i) => i.id === ids.d));
        await w.catalog.saved();
        const entries = await store.load();
        assert.ok(!entries.has(ids.d), 'the removed image is dropped');
        assert.ok(entries.has(ids.a) && entries.has(ids.b), 'the others stay');
      });

      /** This suite's images a and b in a `tree --json` forest: ID, parent, rule, layer count, names, size. */
      function mine(json: unknown): unknown[] {
        const out: unknown[] = [];
        const visit = (nodes: TreeJsonNode[], parent: string) => {
          for (const n of nodes) {
            if (n.id === ids.a || n.id === ids.b) out.push({ id: n.id, parent, rule: n.rule, layers: n.layers, names: n.names, size: n.size });
            visit(n.children, n.id);
          }
        };
        visit((json as { images: TreeJsonNode[] }).images, '');
        return out;
      }

      it('CLI `tree --cache-dir` writes the same cache and prints the same forest from it', async () => {
        const cliDir = mkdtempSync(join(tmpdir(), 'cl-imagecache-cli-'));
        const state = owner.engine.state;
        assert.equal(state.kind, 'connected');
        try {
          // Only this suite's images are compared: the engine is shared, other images come and go.
          const first = mine(await treeJson(state.endpoint, cliDir));
          assert.equal(first.length, 2);
          const entries = await ImageCacheStore.forEngine(cliDir, imageCacheKey(state)).load();
          assert.ok(entries.has(ids.a) && entries.has(ids.b), 'the CLI saved its inspects');
          assert.deepEqual(mine(await treeJson(state.endpoint, cliDir)), first);
        } finally {
          rmSync(cliDir, { recursive: true, force: true });
        }
      });
    });
  }
});

/** `container-lineage tree --json --all --cache-dir DIR` against `host`, parsed. */
async function treeJson(host: string, cacheDir: string): Promise<unknown> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const saved = process.env.CONTAINER_LINEAGE_ENGINE_HOST;
  process.env.CONTAINER_LINEAGE_ENGINE_HOST = host;
  (process.stdout as { write: unknown }).write = (s: string) => (chunks.push(String(s)), true);
  let code: number;
  try {
    code = await runTree(['--json', '--all', '--cache-dir', cacheDir]);
  } finally {
    (process.stdout as { write: unknown }).write = write;
    if (saved === undefined) delete process.env.CONTAINER_LINEAGE_ENGINE_HOST;
    else process.env.CONTAINER_LINEAGE_ENGINE_HOST = saved;
  }
  assert.equal(code, 0);
  return JSON.parse(chunks.join(''));
}

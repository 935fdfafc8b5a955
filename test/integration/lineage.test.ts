/**
 * Image lineage against the real engine: the family of lineageFamily.ts is built once (BuildKit
 * through the API, the legacy builder, docker commit, import), then the forest, the rules, the
 * containers as instances, a real 409, the inspect cache, event-driven refresh and the CLI are
 * checked. Everything made here carries `io.container-lineage.test=lineage` and a unique suffix.
 */
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { buildLineage, describeRemovalBlockers, removalPlan, type LineageForest } from '../../src/core/lineage';
import { EngineConnection } from '../../src/engine/connection';
import { ImageCatalog, ImageConflictError, listContainers, removeImage, tagImage } from '../../src/engine/images';
import { LineageSource } from '../../src/engine/lineageSource';
import { run as runTree, type TreeJsonNode } from '../../src/cli/tree';
import { buildFamily, buildImage, removeFamily, type Family } from './lineageFamily';

/** Counts engine API calls made through a real dockerode client (wraps its methods in place). */
interface CallCounts {
  listImages: number;
  listContainers: number;
  inspect: number;
  history: number;
}
function countCalls(docker: Docker): { counts: CallCounts; inspected: string[]; reset(): void; restore(): void } {
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

async function waitFor<T>(what: string, predicate: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = predicate();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('image lineage on the real engine', function () {
  this.timeout(180_000);
  let engine: EngineConnection;
  let docker: Docker;
  let family: Family;
  let forest: LineageForest;
  const extraTags: string[] = [];

  before(async () => {
    engine = new EngineConnection({ env: process.env });
    const state = await engine.connect();
    assert.equal(state.kind, 'connected', 'the engine must be running (scripts/engine.sh)');
    docker = engine.docker();
    family = await buildFamily(docker);
    const images = await new ImageCatalog().listImages(docker);
    forest = buildLineage(images, await listContainers(docker));
  });

  after(async () => {
    for (const t of extraTags) await docker.getImage(t).remove().catch(() => undefined);
    if (family) await removeFamily(docker, family.suffix);
    engine?.dispose();
  });

  const node = (role: string) => {
    const n = forest.byId.get(family.ids[role]);
    assert.ok(n, `${role} is in the forest`);
    return n;
  };

  it('base → child → grandchild: three levels, the grandchild by layer prefix', () => {
    assert.equal(node('grand').parent?.image.id, family.ids.child);
    assert.equal(node('child').parent?.image.id, family.ids.base);
    assert.equal(node('grand').rule, 'layer-prefix');
    // The engine may be shared: busybox:latest can carry the user's own tags too (`docker tag
    // busybox:latest my/base:1`); assert only that the parent is busybox.
    assert.ok(node('base').parent?.image.repoTags.includes('busybox:latest'), `parent tags: ${node('base').parent?.image.repoTags.join(', ')}`);
    assert.equal(node('base').image.parent, '', 'BuildKit leaves Parent empty');
  });

  it('a LABEL/CMD-only child sits under its parent by history', () => {
    assert.equal(node('labelonly').parent?.image.id, family.ids.base);
    assert.equal(node('labelonly').rule, 'same-layers-history');
  });

  it('a docker commit is a child of the container image (Parent field)', () => {
    assert.equal(node('committed').parent?.image.id, family.ids.child);
    assert.equal(node('committed').rule, 'parent-field');
  });

  it('one image ID with three tags is one node', () => {
    assert.deepEqual([...node('base').image.repoTags].sort(), [family.tags.base, family.tags.baseV1, family.tags.baseAlias].sort());
  });

  it('a rebuilt tag leaves a dangling image, shown flagged and hidden by the toggle, its container under the right image ID', () => {
    const old = node('dangleOld');
    assert.equal(old.dangling, true);
    assert.deepEqual(old.containers.map((c) => c.id), [family.containers.onDangling]);
    assert.notEqual(old.containers[0].image, family.tags.dangle, 'the container no longer shows the moved tag');
    assert.deepEqual(node('dangle').image.repoTags, [family.tags.dangle]);
    const snapshotImages = [...forest.byId.values()].map((n) => n.image);
    const hidden = buildLineage(snapshotImages, [], { hideDangling: true });
    assert.equal(hidden.byId.has(family.ids.dangleOld), false);
  });

  it('containers in created and exited states appear under their images', () => {
    assert.ok(node('grand').containers.some((c) => c.id === family.containers.created && c.state === 'created'));
    assert.ok(node('child').containers.some((c) => c.id === family.containers.exited && c.state === 'exited'));
  });

  it('an image built on a deleted base is a root marked base-not-present', () => {
    assert.equal(node('orphan').parent, undefined);
    assert.equal(node('orphan').rule, 'base-not-present');
  });

  it('removing a parent with children: the engine answers 409, the explanation names children and containers, nothing is removed', async () => {
    let conflict: ImageConflictError | undefined;
    try {
      await removeImage(docker, family.ids.child);
    } catch (err) {
      if (err instanceof ImageConflictError) conflict = err;
      else throw err;
    }
    assert.ok(conflict, 'the engine refused with 409');
    assert.equal(conflict.statusCode, 409);
    const text = describeRemovalBlockers(removalPlan(node('child')));
    for (const role of ['grand', 'committed', 'legacy', 'multistage']) assert.ok(text.includes(family.tags[role]), `${role} named in: ${text}`);
    assert.match(text, new RegExp(`cl-lin-work-${family.suffix} \\(exited\\)`));
    assert.match(text, new RegExp(`cl-lin-created-${family.suffix} \\(created\\)`));
    const still = await docker.getImage(family.ids.child).inspect();
    assert.equal(still.Id, family.ids.child);
  });

  // The engine is shared with other suites that add images meanwhile, so the invariant checked is
  // exact for our images and general for all: no image ID is ever inspected twice.
  it('inspect cache: a refresh after one new image costs 1 list + 1 inspect', async () => {
    const catalog = new ImageCatalog();
    const counter = countCalls(docker);
    try {
      const first = await catalog.listImages(docker);
      assert.equal(counter.counts.listImages, 1);
      assert.equal(new Set(counter.inspected).size, counter.inspected.length, 'first load: each image inspected once');
      for (const r of first) assert.ok(counter.inspected.includes(r.id), `inspected ${r.id}`);
      const known = new Set(counter.inspected);
      counter.reset();
      await catalog.listImages(docker);
      assert.equal(counter.counts.listImages, 1);
      assert.deepEqual(counter.inspected.filter((id) => known.has(id)), [], 'no known image inspected again');
      for (const id of counter.inspected) known.add(id);

      const tag = `cl-lin-cache-${family.suffix}:latest`;
      extraTags.push(tag);
      counter.restore();
      const newId = await buildImage(docker, tag, `FROM ${family.tags.grand}\nRUN echo cache > /cache.txt\n`);
      const again = countCalls(docker);
      try {
        const after = await catalog.listImages(docker);
        assert.equal(again.counts.listImages, 1);
        assert.deepEqual(again.inspected.filter((id) => id === newId), [newId], 'the new image is inspected once');
        assert.deepEqual(again.inspected.filter((id) => known.has(id)), [], 'no known image inspected again');
        assert.ok(after.some((i) => i.id === newId && i.history === undefined), 'a plain child needs no history');
        if (again.inspected.length === 1) assert.equal(again.counts.history, 0);
      } finally {
        again.restore();
      }
    } finally {
      counter.restore();
    }
  });

  it('tags come from the list, not the cache: a new tag shows without a new inspect', async () => {
    const catalog = new ImageCatalog();
    await catalog.listImages(docker);
    const tag = `cl-lin-retag-${family.suffix}:x`;
    extraTags.push(tag);
    await tagImage(docker, family.ids.grand, tag);
    const counter = countCalls(docker);
    try {
      const images = await catalog.listImages(docker);
      assert.ok(!counter.inspected.includes(family.ids.grand), 'the re-tagged image is not inspected again');
      assert.ok(images.find((i) => i.id === family.ids.grand)?.repoTags.includes(tag));
    } finally {
      counter.restore();
    }
  });

  it('events drive targeted refreshes; the stream reconnects after a dropped connection; nothing is fetched while hidden', async () => {
    const source = new LineageSource(engine, { debounceMs: 50, initialBackoffMs: 100 });
    const hold = source.acquire();
    try {
      await waitFor('first snapshot', () => source.snapshot);
      await waitFor('event stream open', () => source.events.open);
      // Events from other users of the shared engine also cause refreshes: strict call counts are
      // asserted only for windows in which every event was ours.
      const mineOnly = { value: true };
      const known = new Set(source.snapshot!.images.map((i) => i.id));
      const sub = source.events.onEvent((e) => {
        const name = e.Actor?.Attributes?.name ?? '';
        const id = e.Actor?.ID ?? '';
        const ours = name.includes(family.suffix) || Object.values(family.ids).includes(id) || id.includes(family.suffix);
        if (!ours) mineOnly.value = false;
      });
      const counter = countCalls(docker);
      try {
        // An image event: images refreshed (1 list, 0 inspect: tag of a known ID), containers untouched.
        const tag1 = `cl-lin-ev1-${family.suffix}:latest`;
        extraTags.push(tag1);
        await tagImage(docker, family.ids.child, tag1);
        await waitFor('tag seen', () => source.snapshot?.images.find((i) => i.id === family.ids.child)?.repoTags.includes(tag1));
        assert.deepEqual(counter.inspected.filter((id) => known.has(id)), [], 'known images are not inspected again');
        assert.ok(counter.counts.listImages >= 1);
        if (mineOnly.value) assert.equal(counter.counts.listContainers, 0, 'an image event does not list containers');

        // A container event: containers refreshed only.
        counter.reset();
        mineOnly.value = true;
        const c = await docker.createContainer({ Image: family.tags.child, Cmd: ['true'], name: `cl-lin-ev-${family.suffix}`, Labels: { 'io.container-lineage.test': 'lineage' }, HostConfig: { NetworkMode: 'none' } });
        await waitFor('container seen', () => source.snapshot?.containers.some((x) => x.id === c.id));
        if (mineOnly.value) assert.equal(counter.counts.listImages, 0, 'a container event does not list images');

        // Engine restart simulated by dropping the socket: the stream reconnects and events flow again.
        const connects = source.events.connects;
        source.events.dropConnectionForTest();
        await waitFor('reconnected', () => source.events.connects > connects && source.events.open);
        const tag2 = `cl-lin-ev2-${family.suffix}:latest`;
        extraTags.push(tag2);
        await tagImage(docker, family.ids.grand, tag2);
        await waitFor('tag after reconnect seen', () => source.snapshot?.images.find((i) => i.id === family.ids.grand)?.repoTags.includes(tag2));

        // Hidden: stream closed, and an engine change causes no call at all.
        hold.dispose();
        assert.equal(source.events.open, false);
        counter.reset();
        const tag3 = `cl-lin-ev3-${family.suffix}:latest`;
        extraTags.push(tag3);
        await tagImage(docker, family.ids.grand, tag3);
        await new Promise((r) => setTimeout(r, 1000));
        assert.deepEqual(counter.counts, { listImages: 0, listContainers: 0, inspect: 0, history: 0 });
      } finally {
        counter.restore();
        sub.dispose();
      }
    } finally {
      hold.dispose();
      source.dispose();
    }
  });

  it('CLI `tree --json --all` prints the same forest', async () => {
    const chunks: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    (process.stdout as { write: unknown }).write = (s: string) => (chunks.push(String(s)), true);
    let code: number;
    try {
      code = await runTree(['--json', '--all']);
    } finally {
      (process.stdout as { write: unknown }).write = write;
    }
    assert.equal(code, 0);
    const out = JSON.parse(chunks.join('')) as { images: TreeJsonNode[] };
    const find = (nodes: TreeJsonNode[], id: string): TreeJsonNode | undefined => {
      for (const n of nodes) {
        if (n.id === id) return n;
        const f = find(n.children, id);
        if (f) return f;
      }
      return undefined;
    };
    const base = find(out.images, family.ids.base)!;
    assert.ok(base.children.some((c) => c.id === family.ids.child));
    const child = find(out.images, family.ids.child)!;
    assert.ok(child.children.some((c) => c.id === family.ids.grand && c.rule === 'layer-prefix'));
    assert.ok(child.containers.some((c) => c.id === family.containers.exited));
    assert.ok(find(out.images, family.ids.dangleOld)?.dangling, '--all includes the dangling image');
  });
});

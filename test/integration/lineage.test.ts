/**
 * Image lineage on the real engines, one parameterised suite for Docker and Podman: the family of
 * lineageFamily.ts is built once on Docker (BuildKit through the API, the legacy builder, docker
 * commit, import) and copied into the private Podman by ID (`docker save | podman load` through
 * the API; Podman cannot start containers here, so it gets created containers only). On each
 * engine: the forest and its rules, names as typed, containers as instances and their state
 * groups, a real 409, the inspect cache, event-driven refresh (Podman's `remove`, its `delete`
 * after an untag) and the CLI. Last, `tree --json` over both engines gives every image the same
 * parent. Everything made here carries `io.container-lineage.test=lineage` and a unique suffix.
 */
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { buildLineage, describeRemovalBlockers, groupContainersByState, removalPlan, type LineageForest } from '../../src/core/lineage';
import { dialectOf } from '../../src/core/dialect';
import { ImageCatalog, ImageConflictError, listContainers, removeImage, tagImage } from '../../src/engine/images';
import type { EngineConnection } from '../../src/engine/connection';
import { LineageSource } from '../../src/engine/lineageSource';
import { run as runTree, type TreeJsonNode } from '../../src/cli/tree';
import { buildFamily, buildImage, copyFamily, removeFamily, removeFamilyCopy, type Family } from './lineageFamily';
import { DOCKER, ENGINES, PODMAN, type TestEngine } from './engines';
import { copyImages } from './imageTransfer';
import { countCalls, waitFor } from './lineageHelpers';

/** `container-lineage tree --json --all` against `host` (undefined: the default engine). */
async function treeJson(host: string | undefined): Promise<TreeJsonNode[]> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const saved = process.env.CONTAINER_LINEAGE_ENGINE_HOST;
  if (host) process.env.CONTAINER_LINEAGE_ENGINE_HOST = host;
  (process.stdout as { write: unknown }).write = (s: string) => (chunks.push(String(s)), true);
  let code: number;
  try {
    code = await runTree(['--json', '--all']);
  } finally {
    (process.stdout as { write: unknown }).write = write;
    if (saved === undefined) delete process.env.CONTAINER_LINEAGE_ENGINE_HOST;
    else process.env.CONTAINER_LINEAGE_ENGINE_HOST = saved;
  }
  assert.equal(code, 0);
  return (JSON.parse(chunks.join('')) as { images: TreeJsonNode[] }).images;
}

function findNode(nodes: TreeJsonNode[], id: string): TreeJsonNode | undefined {
  for (const n of nodes) {
    if (n.id === id) return n;
    const f = findNode(n.children, id);
    if (f) return f;
  }
  return undefined;
}

/** Image ID → parent image ID ('' for roots) over a `tree --json` forest. */
function parents(nodes: TreeJsonNode[], parent = '', out = new Map<string, string>()): Map<string, string> {
  for (const n of nodes) {
    out.set(n.id, parent);
    parents(n.children, n.id, out);
  }
  return out;
}

describe('image lineage on the real engines (Docker and Podman)', function () {
  this.timeout(300_000);
  let origin: { engine: EngineConnection; docker: Docker };
  let family: Family;
  const hosts = new Map<TestEngine, string | undefined>();

  before(async () => {
    origin = await DOCKER.connect();
    family = await buildFamily(origin.docker);
  });

  after(async () => {
    if (family) await removeFamily(origin.docker, family.suffix);
    origin?.engine.dispose();
  });

  for (const target of ENGINES) {
    describe(`on ${target.label}`, () => {
      let engine: EngineConnection;
      let docker: Docker;
      let mine: Family;
      let forest: LineageForest;
      const extraTags: string[] = [];
      const dialect = dialectOf(target.kind);

      before(async () => {
        const c = await target.connect();
        engine = c.engine;
        docker = c.docker;
        hosts.set(target, c.host);
        mine = target.kind === 'docker' ? family : await copyFamily(origin.docker, docker, family);
        const images = await new ImageCatalog().listImages(docker, dialect);
        forest = buildLineage(images, await listContainers(docker), { names: dialect.names });
      });

      after(async () => {
        for (const t of extraTags) await docker?.getImage(t).remove().catch(() => undefined);
        if (target.kind !== 'docker' && mine) await removeFamilyCopy(docker, mine);
        engine?.dispose();
      });

      const node = (role: string) => {
        const n = forest.byId.get(family.ids[role]);
        assert.ok(n, `${role} is in the forest`);
        return n;
      };

      it('base → child → grandchild: three levels, the grandchild by layer prefix, the base under busybox', async () => {
        assert.equal(node('grand').parent?.image.id, family.ids.child);
        assert.equal(node('child').parent?.image.id, family.ids.base);
        assert.equal(node('grand').rule, 'layer-prefix');
        // The engine may be shared: busybox:latest can carry the user's own tags too.
        assert.equal(node('base').parent?.image.id, (await docker.getImage('busybox:latest').inspect()).Id);
        assert.equal(node('base').image.parent, '', 'BuildKit leaves Parent empty; Podman computes one that is not used');
      });

      it('a LABEL/CMD-only child sits under its parent by history; a base.name label written short resolves', () => {
        assert.equal(node('labelonly').parent?.image.id, family.ids.base);
        assert.equal(node('labelonly').rule, 'same-layers-history');
        // `LABEL org.opencontainers.image.base.name=cl-lin-labelonly-…:latest`: Podman calls that image localhost/….
        assert.equal(node('labeled').parent?.image.id, family.ids.labelonly);
        assert.equal(node('labeled').rule, 'base-label');
      });

      it('a docker commit is a child of the container image', () => {
        assert.equal(node('committed').parent?.image.id, family.ids.child);
        // Docker recorded the Parent; Podman's own Parent is computed from layers, so the model's layer rule decides there.
        assert.equal(node('committed').rule, target.kind === 'docker' ? 'parent-field' : 'layer-prefix');
      });

      it('one image ID with three tags is one node; its names are the tags as typed', () => {
        const image = node('base').image;
        assert.deepEqual([...(image.names ?? [])].sort(), [family.tags.base, family.tags.baseV1, family.tags.baseAlias].sort());
        if (target.kind === 'podman') assert.ok(image.repoTags.every((t) => t.startsWith('localhost/')), `Podman's tags: ${image.repoTags.join(', ')}`);
      });

      it('a rebuilt tag leaves a dangling image, shown flagged and hidden by the toggle, its container under the right image ID', () => {
        const old = node('dangleOld');
        assert.equal(old.dangling, true);
        assert.deepEqual(old.containers.map((c) => c.id), [mine.containers.onDangling]);
        assert.deepEqual(node('dangle').image.names, [family.tags.dangle]);
        const hidden = buildLineage([...forest.byId.values()].map((n) => n.image), [], { hideDangling: true });
        assert.equal(hidden.byId.has(family.ids.dangleOld), false);
      });

      it('containers appear under their images and in their state groups (created; exited where containers can run)', async () => {
        assert.ok(node('grand').containers.some((c) => c.id === mine.containers.created && c.state === 'created'));
        const groups = groupContainersByState(await listContainers(docker));
        assert.ok(groups.get('created')!.some((c) => c.id === mine.containers.created));
        if (target.canStartContainers) {
          assert.ok(node('child').containers.some((c) => c.id === family.containers.exited && c.state === 'exited'));
          assert.ok(groups.get('exited')!.some((c) => c.id === family.containers.exited));
        }
      });

      it('an image built on a deleted base is a root marked base-not-present', () => {
        assert.equal(node('orphan').parent, undefined);
        assert.equal(node('orphan').rule, 'base-not-present');
      });

      // Docker refuses to remove an image with child images; Podman does not (it untags it and
      // keeps its layers for the children), only a container using the image blocks it there.
      it('removing an image something depends on: the engine answers 409, the explanation names what blocks it, nothing is removed', async () => {
        const role = target.kind === 'docker' ? 'child' : 'grand';
        const conflict = await removeImage(docker, family.ids[role]).then(
          () => undefined,
          (err: unknown) => (err instanceof ImageConflictError ? err : Promise.reject(err)),
        );
        assert.ok(conflict, 'the engine refused with 409');
        const text = describeRemovalBlockers(removalPlan(node(role)));
        if (role === 'child') for (const r of ['grand', 'committed', 'legacy', 'multistage']) assert.ok(text.includes(family.tags[r]), `${r} named in: ${text}`);
        assert.match(text, new RegExp(`cl-lin-created-${family.suffix} \\(created\\)`));
        if (target.canStartContainers) assert.match(text, new RegExp(`cl-lin-work-${family.suffix} \\(exited\\)`));
        assert.equal((await docker.getImage(family.ids[role]).inspect()).Id, family.ids[role]);
        assert.deepEqual((await docker.getImage(family.ids[role]).inspect()).RepoTags?.length, 1, 'still tagged');
      });

      // The engine is shared with other suites that add images meanwhile, so the invariant checked is
      // exact for our images and general for all: no image ID is ever inspected twice.
      it('inspect cache: a refresh after one new image costs 1 list + 1 inspect', async () => {
        const catalog = new ImageCatalog();
        const counter = countCalls(docker);
        try {
          const first = await catalog.listImages(docker, dialect);
          assert.equal(counter.counts.listImages, 1);
          assert.equal(new Set(counter.inspected).size, counter.inspected.length, 'first load: each image inspected once');
          for (const r of first) assert.ok(counter.inspected.includes(r.id), `inspected ${r.id}`);
          const known = new Set(counter.inspected);
          counter.reset();
          await catalog.listImages(docker, dialect);
          assert.equal(counter.counts.listImages, 1);
          assert.deepEqual(counter.inspected.filter((id) => known.has(id)), [], 'no known image inspected again');
          for (const id of counter.inspected) known.add(id);

          const tag = `cl-lin-cache-${family.suffix}:latest`;
          extraTags.push(tag);
          counter.restore();
          // No RUN: Podman builds it too (COPY makes the new layer). BuildKit's session (dockerode
          // opens one for version 2) is Docker's; Podman's /build is Buildah either way.
          const newId = await buildImage(docker, tag, `FROM ${family.tags.grand}\nCOPY Dockerfile /cache-${family.suffix}.txt\n`, target.kind === 'docker');
          const again = countCalls(docker);
          try {
            const after = await catalog.listImages(docker, dialect);
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
        await catalog.listImages(docker, dialect);
        const tag = `cl-lin-retag-${family.suffix}:x`;
        extraTags.push(tag);
        await tagImage(docker, family.ids.grand, tag);
        const counter = countCalls(docker);
        try {
          const images = await catalog.listImages(docker, dialect);
          assert.ok(!counter.inspected.includes(family.ids.grand), 'the re-tagged image is not inspected again');
          assert.ok(images.find((i) => i.id === family.ids.grand)?.names?.includes(tag), 'shown as typed (Podman stores docker.io/…)');
        } finally {
          counter.restore();
        }
      });

      it('events drive targeted refreshes; the stream reconnects after a dropped connection; nothing is fetched while hidden', async () => {
        const source = new LineageSource(engine, { debounceMs: 50 });
        const hold = source.acquire();
        try {
          await waitFor('first snapshot', () => source.snapshot);
          await waitFor('event stream open', () => source.events.open);
          // Events from other users of the shared engine also cause refreshes: strict call counts are
          // asserted only for windows in which every event was ours.
          const mineOnly = { value: true };
          const known = new Set(source.snapshot!.images.map((i) => i.id));
          // The image lists made so far when the last image event arrived (undefined: none yet). Podman
          // writes its events to a log that its stream reads later, so a list can show a new tag
          // before the tag's own event arrives; that event's refresh must be over before the
          // container phase counts calls.
          const imageEvent: { listsBefore?: number } = {};
          let counter: ReturnType<typeof countCalls> | undefined;
          const sub = source.events.onEvent((e) => {
            const name = e.Actor?.Attributes?.name ?? '';
            const id = e.Actor?.ID ?? '';
            const ours = name.includes(family.suffix) || Object.values(family.ids).some((x) => x.endsWith(id)) || id.includes(family.suffix);
            if (!ours) mineOnly.value = false;
            if (e.Type === 'image' && counter) imageEvent.listsBefore = counter.counts.listImages;
          });
          counter = countCalls(docker);
          try {
            // An image event: images refreshed (1 list, 0 inspect: tag of a known ID), containers untouched.
            const tag1 = `cl-lin-ev1-${family.suffix}:latest`;
            extraTags.push(tag1);
            await tagImage(docker, family.ids.child, tag1);
            await waitFor('tag seen', () => source.snapshot?.images.find((i) => i.id === family.ids.child)?.names?.includes(tag1));
            assert.deepEqual(counter.inspected.filter((id) => known.has(id)), [], 'known images are not inspected again');
            assert.ok(counter.counts.listImages >= 1);
            if (mineOnly.value) assert.equal(counter.counts.listContainers, 0, 'an image event does not list containers');
            await waitFor("the tag event's own refresh", () => imageEvent.listsBefore !== undefined && counter!.counts.listImages > imageEvent.listsBefore);
            await new Promise((r) => setTimeout(r, 200)); // the refresh's list has answered; let its snapshot settle

            // A container event: containers refreshed only.
            counter.reset();
            imageEvent.listsBefore = undefined;
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
            await waitFor('tag after reconnect seen', () => source.snapshot?.images.find((i) => i.id === family.ids.grand)?.names?.includes(tag2));

            // Removal (Docker `destroy`, Podman `remove`): the container leaves the snapshot.
            await docker.getContainer(c.id).remove({ force: true });
            await waitFor('removed container gone', () => !source.snapshot?.containers.some((x) => x.id === c.id));

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

      it('removing one of two tags keeps the image: Podman follows the untag with a `delete` for the live image', async () => {
        const source = new LineageSource(engine, { debounceMs: 50 });
        const hold = source.acquire();
        const seen: string[] = [];
        const sub = source.events.onEvent((e) => {
          if (e.Type === 'image' && family.ids.envA.endsWith(e.Actor?.ID ?? '-')) seen.push(e.Action);
        });
        try {
          await waitFor('event stream open', () => source.snapshot && source.events.open);
          const tag = `cl-lin-untag-${family.suffix}:1`;
          extraTags.push(tag);
          await tagImage(docker, family.ids.envA, tag);
          await waitFor('second tag seen', () => source.snapshot?.images.find((i) => i.id === family.ids.envA)?.names?.includes(tag));
          await removeImage(docker, tag);
          await waitFor('untag seen', () => seen.includes('untag') && !source.snapshot?.images.find((i) => i.id === family.ids.envA)?.names?.includes(tag));
          if (target.kind === 'podman') await waitFor('Podman sends delete', () => seen.includes('delete'));
          await new Promise((r) => setTimeout(r, 300)); // past the debounce of the last event
          const image = source.snapshot?.images.find((i) => i.id === family.ids.envA);
          assert.ok(image, `the image is still listed after ${seen.join(', ')}`);
          assert.deepEqual(image.names, [family.tags.envA]);
        } finally {
          sub.dispose();
          hold.dispose();
          source.dispose();
        }
      });

      it('CLI `tree --json --all` prints the same forest', async () => {
        const out = await treeJson(hosts.get(target));
        const base = findNode(out, family.ids.base)!;
        assert.ok(base.children.some((c) => c.id === family.ids.child));
        assert.ok(findNode(out, family.ids.child)!.children.some((c) => c.id === family.ids.grand && c.rule === 'layer-prefix'));
        assert.ok(findNode(out, family.ids.grand)!.containers.some((c) => c.id === mine.containers.created));
        assert.ok(findNode(out, family.ids.dangleOld)?.dangling, '--all includes the dangling image');
        assert.deepEqual(findNode(out, family.ids.labelonly)!.names, [family.tags.labelonly]);
      });
    });
  }

  it('`tree --json` over Podman gives every image the same parent as over Docker (the family, busybox, debian, the samples)', async () => {
    const podman = await PODMAN.connect();
    try {
      // The base and the busybox samples as the Docker engine has them now (another session may have rebuilt them).
      const samples = ['busybox:latest', 'lineage-sample/base:1.0', 'lineage-sample/child:1.0', 'lineage-sample/grandchild:1.0', 'lineage-sample/committed:1.0', 'lineage-sample/multistage:1.0'];
      await copyImages(origin.docker, podman.docker, samples);
      const copy = await copyFamily(origin.docker, podman.docker, family);
      try {
        const overDocker = parents(await treeJson(undefined));
        const overPodman = parents(await treeJson(podman.host));
        const both = [...overPodman.keys()].filter((id) => overDocker.has(id));
        const sampleIds = await Promise.all(samples.map(async (t) => (await origin.docker.getImage(t).inspect()).Id));
        for (const id of [...Object.values(family.ids), ...sampleIds]) {
          assert.ok(both.includes(id), `${id} is on both engines`);
        }
        const differ = both.filter((id) => overPodman.get(id) !== overDocker.get(id)).map((id) => `${id}: Podman ${overPodman.get(id) || 'root'}, Docker ${overDocker.get(id) || 'root'}`);
        assert.deepEqual(differ, [], `${both.length} images compared`);
      } finally {
        await removeFamilyCopy(podman.docker, copy);
      }
    } finally {
      podman.engine.dispose();
    }
  });
});

import assert from 'node:assert/strict';
import {
  baseEvidenceFromHistory,
  bestTag,
  buildLineage,
  containerFromSummary,
  groupContainersByState,
  imageFromInspect,
  imagesNeedingHistory,
  layerRows,
  removalPlan,
  shortId,
  walk,
  type ContainerRecord,
  type EngineContainerSummary,
  type EngineHistoryEntry,
  type EngineImageInspect,
  type ImageRecord,
  type LineageForest,
} from '../../src/core/lineage';
import { formatAge, formatBytes } from '../../src/core/format';
import { syntheticForest } from './fixtures/lineage/synthetic';
import { forestToJson, forestToText } from '../../src/cli/tree';

/**
 * `family.json` is real engine JSON (docker.io 20.10.24, API 1.41) recorded by
 * test/unit/fixtures/lineage/record.ts from the family in test/integration/lineageFamily.ts.
 */
interface Recorded {
  family: { suffix: string; tags: Record<string, string>; ids: Record<string, string>; containers: Record<string, string> };
  images: Array<{ inspect: EngineImageInspect; history: EngineHistoryEntry[] }>;
  containers: EngineContainerSummary[];
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const recorded: Recorded = JSON.parse(JSON.stringify(require('./fixtures/lineage/family.json')));
const { ids, tags, containers: cids } = recorded.family;

function records(mutate?: (inspect: EngineImageInspect) => void, withHistory = true): ImageRecord[] {
  return recorded.images.map(({ inspect, history }) => {
    const copy: EngineImageInspect = JSON.parse(JSON.stringify(inspect));
    mutate?.(copy);
    return imageFromInspect(copy, withHistory ? history : undefined);
  });
}
const containers = (): ContainerRecord[] => recorded.containers.map(containerFromSummary);
const busyboxId = recorded.images.find((i) => i.inspect.RepoTags?.includes('busybox:latest'))!.inspect.Id;

function parentOf(forest: LineageForest, id: string): string | undefined {
  return forest.byId.get(id)?.parent?.image.id;
}

describe('lineage model on recorded engine JSON', () => {
  const forest = buildLineage(records(), containers());

  it('has one node per image ID', () => {
    assert.equal(forest.byId.size, recorded.images.length);
    assert.equal([...walk(forest.roots)].length, recorded.images.length);
  });

  it('base → child → grandchild by layer prefix, three levels under busybox', () => {
    assert.deepEqual(forest.roots.map((r) => r.image.id).sort(), [busyboxId, ids.orphan].sort());
    assert.equal(parentOf(forest, ids.base), busyboxId);
    assert.equal(forest.byId.get(ids.base)!.rule, 'layer-prefix');
    assert.equal(parentOf(forest, ids.child), ids.base);
    assert.equal(parentOf(forest, ids.grand), ids.child);
    assert.equal(forest.byId.get(ids.grand)!.rule, 'layer-prefix');
    assert.equal(forest.byId.get(ids.grand)!.depth, 3);
  });

  it('one image ID with three tags is one node with three tags', () => {
    const base = forest.byId.get(ids.base)!;
    assert.deepEqual([...base.image.repoTags].sort(), [tags.base, tags.baseV1, tags.baseAlias].sort());
    assert.equal(bestTag(base.image), tags.base, 'a :latest tag wins');
  });

  it('LABEL/CMD-only child (same chain) sits under its parent by history, not as a sibling', () => {
    assert.equal(parentOf(forest, ids.labelonly), ids.base);
    assert.equal(forest.byId.get(ids.labelonly)!.rule, 'same-layers-history');
    assert.equal(forest.byId.get(ids.labelonly)!.uniqueSize, 0);
  });

  it('ENV-only images with the same chain and diverging history are siblings under their parent', () => {
    assert.equal(parentOf(forest, ids.envA), ids.base);
    assert.equal(parentOf(forest, ids.envB), ids.base);
    assert.equal(forest.byId.get(ids.envA)!.rule, 'same-layers-history');
  });

  it('the base label beats the structural parent when it resolves locally', () => {
    assert.equal(parentOf(forest, ids.labeled), ids.labelonly);
    assert.equal(forest.byId.get(ids.labeled)!.rule, 'base-label');
  });

  it('docker commit child hangs under the container image by the Parent field', () => {
    assert.equal(parentOf(forest, ids.committed), ids.child);
    assert.equal(forest.byId.get(ids.committed)!.rule, 'parent-field');
  });

  it('legacy builder image whose Parent is a hidden intermediate falls back to layer prefix', () => {
    const legacy = recorded.images.find((i) => i.inspect.Id === ids.legacy)!.inspect;
    assert.ok(legacy.Parent && !forest.byId.has(legacy.Parent), 'recorded Parent names an intermediate image not in the list');
    assert.equal(parentOf(forest, ids.legacy), ids.child);
    assert.equal(forest.byId.get(ids.legacy)!.rule, 'layer-prefix');
  });

  it('multi-stage final image shares layers only with its last FROM', () => {
    assert.equal(parentOf(forest, ids.multistage), ids.child);
  });

  it('an image built on a deleted base is a root marked base-not-present', () => {
    const orphan = forest.byId.get(ids.orphan)!;
    assert.equal(orphan.parent, undefined);
    assert.equal(orphan.rule, 'base-not-present');
    assert.match(orphan.ruleDetail ?? '', /imported base/);
    assert.equal(forest.byId.get(busyboxId)!.rule, 'root', 'busybox itself is a genuine root');
  });

  it('dangling image (its tag moved to a rebuild) is flagged, keeps its container, and the toggle hides it', () => {
    const old = forest.byId.get(ids.dangleOld)!;
    assert.equal(old.dangling, true);
    assert.equal(bestTag(old.image), `<none> ${shortId(ids.dangleOld)}`);
    assert.equal(parentOf(forest, ids.dangleOld), ids.base);
    assert.deepEqual(old.containers.map((c) => c.id), [cids.onDangling], 'container listed under the image ID it was created from');
    assert.equal(forest.byId.get(ids.dangle)!.image.repoTags[0], tags.dangle);

    const hidden = buildLineage(records(), containers(), { hideDangling: true });
    assert.equal(hidden.byId.has(ids.dangleOld), false);
    assert.equal(hidden.byId.size, recorded.images.length - 1);
    assert.ok(hidden.orphanContainers.some((c) => c.id === cids.onDangling));
  });

  it('containers are instances under their image, in created and exited states', () => {
    assert.deepEqual(forest.byId.get(ids.grand)!.containers.map((c) => [c.id, c.state]), [[cids.created, 'created']]);
    assert.deepEqual(forest.byId.get(ids.child)!.containers.map((c) => [c.id, c.state]), [[cids.exited, 'exited']]);
    assert.deepEqual(forest.orphanContainers, []);
  });

  it('unique size is total size minus the layer-prefix parent size', () => {
    const child = forest.byId.get(ids.child)!;
    const base = forest.byId.get(ids.base)!;
    assert.equal(child.uniqueSize, child.image.size - base.image.size);
    assert.ok(child.uniqueSize > 0 && child.uniqueSize < 100);
    assert.equal(forest.byId.get(busyboxId)!.uniqueSize, forest.byId.get(busyboxId)!.image.size);
  });

  it('pulled images (Parent empty everywhere): commit child still found by layer prefix', () => {
    const f = buildLineage(records((i) => (i.Parent = '')));
    assert.equal(parentOf(f, ids.committed), ids.child);
    assert.equal(f.byId.get(ids.committed)!.rule, 'layer-prefix');
    assert.equal(parentOf(f, ids.grand), ids.child);
  });

  it('without history, same-chain images fall back deterministically and the rest is unchanged', () => {
    const f = buildLineage(records(undefined, false));
    assert.equal(parentOf(f, ids.grand), ids.child);
    assert.equal(parentOf(f, ids.labelonly), busyboxId, 'no history: labelonly is a sibling of base');
    assert.equal(f.byId.get(ids.orphan)!.rule, 'root', 'no history: no evidence of a missing base');
  });

  it('asks for history only where it decides something', () => {
    const need = imagesNeedingHistory(records(undefined, false));
    for (const id of [ids.base, ids.labelonly, ids.envA, ids.envB, ids.labeled, ids.orphan, busyboxId, ids.child]) assert.ok(need.has(id), id);
    assert.equal(need.has(ids.grand), false);
    assert.equal(need.has(ids.multistage), false);
  });

  it('removal plan for base: containers first, descendants deepest first, target last', () => {
    const plan = removalPlan(forest.byId.get(ids.base)!);
    assert.equal(plan.images.at(-1)!.image.id, ids.base);
    const order = plan.images.map((n) => n.image.id);
    assert.ok(order.indexOf(ids.grand) < order.indexOf(ids.child));
    assert.ok(order.indexOf(ids.labeled) < order.indexOf(ids.labelonly));
    assert.deepEqual(plan.containers.map((c) => c.id).sort(), [cids.created, cids.exited, cids.onDangling].sort());
    assert.equal(plan.descendants.length, recorded.images.length - 3, 'all but busybox, orphan and base itself');
  });

  it('show layers: shared with parent vs own, diff IDs aligned to history', () => {
    const child = forest.byId.get(ids.child)!;
    const rows = layerRows(child.image, child.parent!.image);
    assert.deepEqual(rows.map((r) => r.origin), ['shared', 'shared', 'own']);
    assert.deepEqual(rows.filter((r) => !r.empty).map((r) => r.diffId), child.image.layers);
    const labelonly = forest.byId.get(ids.labelonly)!;
    const lrows = layerRows(labelonly.image, labelonly.parent!.image);
    assert.deepEqual(lrows.map((r) => [r.origin, r.empty]), [['shared', false], ['shared', false], ['own', true], ['own', true]]);
    const legacy = forest.byId.get(ids.legacy)!;
    assert.equal(layerRows(legacy.image, legacy.parent!.image).filter((r) => !r.empty).length, legacy.image.layers.length);
  });
});

describe('lineage model edge cases', () => {
  const img = (id: string, layers: string[], extra: Partial<ImageRecord> = {}): ImageRecord => ({
    id: `sha256:${id.padEnd(64, '0')}`,
    repoTags: [`${id}:latest`],
    repoDigests: [],
    parent: '',
    layers,
    labels: {},
    created: 0,
    size: layers.length * 10,
    ...extra,
  });

  it('dangling forms across API versions: null, empty, <none>:<none>; digest-only shown by digest', () => {
    const base = recorded.images.find((i) => i.inspect.Id === ids.dangleOld)!.inspect;
    for (const RepoTags of [null, [], ['<none>:<none>']]) {
      const r = imageFromInspect({ ...base, RepoTags, RepoDigests: ['<none>@<none>'] });
      assert.deepEqual(r.repoTags, []);
      assert.deepEqual(r.repoDigests, []);
      assert.equal(bestTag(r), `<none> ${shortId(base.Id)}`);
    }
    const digestOnly = imageFromInspect({ ...base, RepoTags: [], RepoDigests: ['example.com/app@sha256:' + 'ab'.repeat(32)] });
    assert.equal(bestTag(digestOnly), 'example.com/app@' + 'ab'.repeat(6));
    assert.equal(buildLineage([digestOnly]).roots[0].dangling, true);
  });

  it('hiding a dangling parent lifts its children to the nearest kept ancestor', () => {
    const a = img('a', ['l1']);
    const b = img('b', ['l1', 'l2'], { repoTags: [] });
    const c = img('c', ['l1', 'l2', 'l3']);
    const f = buildLineage([a, b, c], [], { hideDangling: true });
    assert.equal(f.byId.get(c.id)!.parent!.image.id, a.id);
    assert.match(f.byId.get(c.id)!.ruleDetail ?? '', /hidden dangling parent/);
    assert.equal(f.byId.get(c.id)!.uniqueSize, c.size - a.size);
  });

  it('base label that does not resolve marks a root base-not-present', () => {
    const x = img('x', ['q1', 'q2'], { labels: { 'org.opencontainers.image.base.name': 'docker.io/library/debian:bookworm' } });
    const f = buildLineage([x]);
    assert.equal(f.roots[0].rule, 'base-not-present');
    assert.match(f.roots[0].ruleDetail!, /debian:bookworm/);
  });

  it('base label by digest resolves through RepoDigests; an inherited label is ignored', () => {
    const digest = 'sha256:' + 'cd'.repeat(32);
    const deb = img('deb', ['d1'], { repoTags: ['debian:bookworm'], repoDigests: [`debian@${digest}`] });
    const app = img('app', ['d1', 'a1'], { labels: { 'org.opencontainers.image.base.digest': digest } });
    // grandchild inherits app's label unchanged: its parent must be app, not debian.
    const sub = img('sub', ['d1', 'a1', 's1'], { labels: { 'org.opencontainers.image.base.digest': digest } });
    const f = buildLineage([deb, app, sub]);
    assert.equal(f.byId.get(app.id)!.rule, 'base-label');
    assert.equal(f.byId.get(app.id)!.parent!.image.id, deb.id);
    assert.equal(f.byId.get(sub.id)!.parent!.image.id, app.id);
    assert.equal(f.byId.get(sub.id)!.rule, 'layer-prefix');
  });

  it('base label by name resolves as the engine resolves names: Podman finds team/base:1 as localhost/team/base:1, Docker does not', () => {
    const base = img('base', ['b1'], { repoTags: ['localhost/team/base:1'] });
    const app = img('app', ['b1', 'a1'], { labels: { 'org.opencontainers.image.base.name': 'team/base:1' } });
    const podman = buildLineage([base, app], [], { names: { shortNameDomains: ['localhost', 'docker.io'] } });
    assert.equal(podman.byId.get(app.id)!.rule, 'base-label');
    assert.equal(podman.byId.get(app.id)!.parent!.image.id, base.id);
    // On Docker `team/base:1` means docker.io/team/base:1: the label does not name the local image.
    const orphan = img('orphan', ['o1'], { labels: { 'org.opencontainers.image.base.name': 'team/base:1' } });
    const docker = buildLineage([base, orphan]);
    assert.equal(docker.byId.get(orphan.id)!.rule, 'base-not-present');
    const onPodman = buildLineage([base, orphan], [], { names: { shortNameDomains: ['localhost', 'docker.io'] } });
    assert.equal(onPodman.byId.get(orphan.id)!.rule, 'base-label');
    // Docker's familiar and canonical forms are one name.
    const deb = img('deb', ['d1'], { repoTags: ['debian:bookworm'] });
    const onDeb = img('ondeb', ['d1', 'x1'], { labels: { 'org.opencontainers.image.base.name': 'docker.io/library/debian:bookworm' } });
    assert.equal(buildLineage([deb, onDeb]).byId.get(onDeb.id)!.rule, 'base-label');
  });

  it('a bare-hex Parent (Podman) names the image like "sha256:<hex>"', () => {
    const a = img('a', ['l1']);
    const b = img('b', ['l9']);
    b.parent = a.id.replace(/^sha256:/, '');
    const f = buildLineage([a, b]);
    assert.equal(f.byId.get(b.id)!.parent?.image.id, a.id);
    assert.equal(f.byId.get(b.id)!.rule, 'parent-field');
    assert.equal(imageFromInspect({ Id: b.id, Parent: a.id.slice(7) }).parent, a.id);
  });

  it('bestTag shows names as typed when the catalog gave them; the tooltip keeps the full tags', () => {
    const i = img('i', ['l1'], { repoTags: ['localhost/team/base:1', 'docker.io/library/busybox:latest'] });
    i.names = ['team/base:1', 'busybox:latest'];
    assert.equal(bestTag(i), 'busybox:latest');
    assert.equal(bestTag({ ...i, names: undefined }), 'docker.io/library/busybox:latest');
  });

  it('contradictory Parent fields cannot make a cycle', () => {
    const a = img('a', ['l1']);
    const b = img('b', ['l1', 'l2']);
    a.parent = b.id;
    b.parent = a.id;
    const f = buildLineage([a, b]);
    assert.equal(f.roots.length, 1);
    assert.equal([...walk(f.roots)].length, 2);
  });

  it('history evidence: BuildKit steps over foreign layers, CMD then layers; plain roots have none', () => {
    assert.equal(baseEvidenceFromHistory([{ created: 1, createdBy: '/bin/sh -c #(nop) ADD file:abc in /', comment: '', size: 5 }]), undefined);
    assert.equal(
      baseEvidenceFromHistory([
        { created: 1, createdBy: '/bin/sh -c #(nop) ADD file:abc in /', comment: '', size: 5 },
        { created: 2, createdBy: 'RUN /bin/sh -c make', comment: 'buildkit.dockerfile.v0', size: 7 },
      ]),
      'history shows base layers made by another build',
    );
    assert.match(
      baseEvidenceFromHistory([
        { created: 1, createdBy: '/bin/sh -c #(nop) ADD file:abc in /', comment: '', size: 5 },
        { created: 1, createdBy: '/bin/sh -c #(nop)  CMD ["bash"]', comment: '', size: 0 },
        { created: 2, createdBy: '/bin/sh -c apt-get install -y x', comment: '', size: 9 },
      ])!,
      /CMD/,
    );
    assert.equal(
      baseEvidenceFromHistory([{ created: 2, createdBy: 'COPY app /app', comment: 'buildkit.dockerfile.v0', size: 9 }]),
      undefined,
      'FROM scratch + COPY is a genuine root',
    );
  });

  it('containers grouped by state with an unknown fallback (recorded JSON, states dead/removing)', () => {
    const base = recorded.containers[0];
    const list = ['running', 'dead', 'removing', 'exited', 'weird', 'paused', 'created', 'restarting'].map((State, i) =>
      containerFromSummary({ ...base, Id: `c${i}`, Names: [`/n${i}`], State }),
    );
    const groups = groupContainersByState(list);
    assert.deepEqual([...groups.keys()], ['running', 'paused', 'restarting', 'stopping', 'created', 'exited', 'dead', 'removing', 'unknown']);
    assert.deepEqual(groups.get('dead')!.map((c) => c.names[0]), ['n1']);
    assert.deepEqual(groups.get('removing')!.map((c) => c.names[0]), ['n2']);
    assert.deepEqual(groups.get('unknown')!.map((c) => c.names[0]), ['n4']);
    assert.equal(containerFromSummary({ Id: 'x', Names: null, Labels: null }).state, '');
  });

  // Podman's libpod states (define/containerstate.go) cannot be produced here: containers cannot
  // start under Podman in this sandbox, so a container never becomes initialized, stopping or stopped.
  it('Podman states: initialized and configured with created, stopped with exited, stopping its own group', () => {
    const base = recorded.containers[0];
    const list = ['initialized', 'configured', 'stopped', 'stopping', 'Exited'].map((State, i) => containerFromSummary({ ...base, Id: `p${i}`, Names: [`/p${i}`], State }));
    const groups = groupContainersByState(list);
    assert.deepEqual(groups.get('created')!.map((c) => c.names[0]), ['p0', 'p1']);
    assert.deepEqual(groups.get('exited')!.map((c) => c.names[0]), ['p2', 'p4']);
    assert.deepEqual(groups.get('stopping')!.map((c) => c.names[0]), ['p3']);
    assert.deepEqual(groups.get('unknown'), []);
  });

  it('image history with a deleted container image: container is an orphan, still showing its image ID', () => {
    const f = buildLineage(records().filter((r) => r.id !== ids.grand), containers());
    assert.deepEqual(f.orphanContainers.map((c) => [c.id, c.imageId]), [[cids.created, ids.grand]]);
  });
});

describe('lineage model on a synthetic forest', () => {
  it('5,000 images: every generated parent is found, depths bounded', () => {
    const images = syntheticForest(5000, 7);
    const f = buildLineage(images);
    assert.equal(f.byId.size, 5000);
    let checked = 0;
    for (const image of images) {
      const node = f.byId.get(image.id)!;
      assert.equal(node.parent?.image.id, image.expectedParent, image.id);
      checked++;
    }
    assert.equal(checked, 5000);
    assert.ok(Math.max(...[...f.byId.values()].map((n) => n.depth)) <= 12);
  });

  it('diff IDs that differ only before their last 8 characters (one trie hash for all): parents still exact', () => {
    // The chain index hashes a diff ID by its length and last 8 characters; these all collide, so
    // every hash walk meets the wrong sibling and must be caught by the diff-ID comparison.
    const images = JSON.parse(JSON.stringify(syntheticForest(2000, 3))) as ReturnType<typeof syntheticForest>;
    const renamed = new Map<string, string>();
    for (const image of images) {
      image.layers = image.layers.map((l) => {
        let r = renamed.get(l);
        if (!r) renamed.set(l, (r = `sha256:${renamed.size.toString(16).padStart(56, '0')}deadbeef`));
        return r;
      });
    }
    const f = buildLineage(images);
    for (const image of images) assert.equal(f.byId.get(image.id)!.parent?.image.id, image.expectedParent, image.id);
    const need = imagesNeedingHistory(images);
    assert.ok(need.size < images.length, 'distinct chains stay distinct');
  });
});

describe('format', () => {
  it('sizes in decimal units like the docker CLI, with a space', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(999), '999 B');
    assert.equal(formatBytes(1984172), '1.98 MB');
    assert.equal(formatBytes(1_500_000_000), '1.5 GB');
    assert.equal(formatBytes(-1), '?');
  });
  it('ages like the docker CLI', () => {
    const now = Date.UTC(2026, 0, 10);
    assert.equal(formatAge(now - 500, now), 'Less than a second ago');
    assert.equal(formatAge(now - 5_000, now), '5 seconds ago');
    assert.equal(formatAge(now - 65_000, now), 'About a minute ago');
    assert.equal(formatAge(now - 3 * 3600_000, now), '3 hours ago');
    assert.equal(formatAge(now - 3 * 86400_000, now), '3 days ago');
    assert.equal(formatAge(NaN, now), 'unknown age');
  });
});

describe('CLI tree rendering (recorded engine JSON)', () => {
  const forest = buildLineage(records(), containers());

  it('text: box-drawing tree with tags, sizes, rules and containers', () => {
    const lines = forestToText(forest, true, Date.now());
    const grand = lines.find((l) => l.includes(tags.grand))!;
    const child = lines.find((l) => l.includes(tags.child) && !l.includes(tags.grand))!;
    assert.ok(grand && child);
    assert.ok(grand.indexOf(tags.grand) > child.indexOf(tags.child), 'grandchild indented deeper than child');
    assert.match(grand, /\[built on its layers\]/, 'the rule said in words');
    assert.ok(lines.some((l) => l.includes(`● cl-lin-created-${recorded.family.suffix}`) && l.includes('created')));
    assert.ok(lines.some((l) => l.includes(tags.orphan) && l.includes('[its base image is not present locally]')));
    assert.ok(lines.find((l) => l.includes(tags.base))!.includes('(also '), 'other tags listed');
  });

  it('json: nested children with byte sizes', () => {
    const json = forestToJson(forest);
    const busybox = json.images.find((n) => n.id === busyboxId)!;
    const base = busybox.children.find((n) => n.id === ids.base)!;
    assert.equal(base.tags.length, 3);
    assert.equal(typeof base.uniqueSize, 'number');
    assert.ok(base.children.some((n) => n.id === ids.child));
  });
});

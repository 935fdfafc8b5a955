/**
 * Issue 15, items 1 and 9: what Remove Image… decides (untag a tag of a multi-tag image; delete
 * only what nothing depends on; otherwise say what blocks it, every tag named), and the layers
 * report that tells filesystem layers from history entries.
 */
import assert from 'node:assert/strict';
import { buildLineage, type ContainerRecord, type ImageRecord } from '../../src/core/lineage';
import { decideRemoval, describeBlockers, describePlan, imageNames, planCounts } from '../../src/core/removal';
import { removalPlan } from '../../src/core/lineage';
import { layersReport } from '../../src/core/layersReport';

const L = (n: number) => `sha256:${String(n).padStart(64, '0')}`;
function image(id: string, tags: string[], layers: number[], parent = '', history?: ImageRecord['history']): ImageRecord {
  return { id, repoTags: tags, repoDigests: [], parent, layers: layers.map(L), labels: {}, created: Date.UTC(2026, 0, 1), size: layers.length * 1000, history };
}
const container = (id: string, imageId: string, name: string, state = 'exited'): ContainerRecord => ({
  id,
  names: [name],
  image: imageId,
  imageId,
  state,
  status: 'Exited (0) 5 minutes ago',
  labels: {},
  created: 0,
});

const base = image('sha256:b', ['lineage-sample/base:1.0'], [1]);
const child = image('sha256:c', ['lineage-sample/child:1.0', 'uxtest/child:ux'], [1, 2]);
const grand = image('sha256:g', ['lineage-sample/grandchild:1.0'], [1, 2, 3]);
const forest = () => buildLineage([base, child, grand], [container('k1', 'sha256:g', 'web')]);

describe('Remove Image decisions', () => {
  it('a tag of a multi-tag image is untagged: the image, its children and containers stay', () => {
    const node = forest().byId.get('sha256:c')!;
    const d = decideRemoval(node, 'uxtest/child:ux');
    assert.equal(d.kind, 'untag');
    assert.ok(d.kind === 'untag');
    assert.equal(d.tag, 'uxtest/child:ux');
    assert.deepEqual(d.remaining, ['lineage-sample/child:1.0']);
  });
  it('without a tag, the item stands for its best tag', () => {
    const d = decideRemoval(forest().byId.get('sha256:c')!);
    assert.ok(d.kind === 'untag');
    assert.equal(d.tag, 'uxtest/child:ux', 'the shortest tag is the label');
  });
  it('the only tag of an image with children is blocked, naming every tag of what blocks it', () => {
    const node = forest().byId.get('sha256:b')!;
    const d = decideRemoval(node);
    assert.equal(d.kind, 'blocked');
    assert.ok(d.kind === 'blocked');
    const why = describeBlockers(d.plan);
    // One direct child (named), the grandchild counted apart: not "2 child images".
    assert.match(why, /^1 child image is built on it: lineage-sample\/child:1\.0, uxtest\/child:ux \(c\) \(and 1 more image below them\)/);
    assert.match(why, /1 container uses it or its children: web \(exited\)/);
  });
  it('two direct children and one below them: "2 child images … (and 1 more image below them)"', () => {
    const committed = image('sha256:k', ['lineage-sample/committed:1.0'], [1, 4]);
    const d = decideRemoval(buildLineage([base, child, grand, committed], []).byId.get('sha256:b')!);
    assert.ok(d.kind === 'blocked');
    assert.match(describeBlockers(d.plan), /^2 child images are built on it: [^(]+\([ck]\); [^(]+\([ck]\) \(and 1 more image below them\)$/);
  });
  it('an image nothing depends on is deleted (after a confirmation)', () => {
    const f = buildLineage([base, child], []);
    assert.equal(decideRemoval(f.byId.get('sha256:c')!, 'nope:1').kind, 'untag', 'an unknown tag falls back to the label');
    assert.equal(decideRemoval(buildLineage([base], []).byId.get('sha256:b')!).kind, 'delete');
  });
  it('the subtree plan lists containers first, then every image with all its tags, deepest first', () => {
    const plan = removalPlan(forest().byId.get('sha256:b')!);
    assert.equal(planCounts(plan), '3 images and 1 container');
    assert.deepEqual(describePlan(plan), [
      'container web (exited)',
      'image lineage-sample/grandchild:1.0 (g)',
      'image lineage-sample/child:1.0, uxtest/child:ux (c)',
      'image lineage-sample/base:1.0 (b)',
    ]);
    assert.equal(planCounts(removalPlan(buildLineage([base], []).byId.get('sha256:b')!)), '1 image', 'no "and 0 containers"');
    assert.equal(imageNames(buildLineage([image('sha256:d', [], [9])], []).byId.get('sha256:d')!), '<none> (d)');
  });
});

describe('layers report', () => {
  it('tells filesystem layers from history entries and says which is which', () => {
    const h = (createdBy: string, size: number) => ({ created: 0, createdBy, size, comment: '' });
    const parent = image('sha256:p', ['base:1'], [1], '', [h('/bin/sh -c #(nop) ADD file:abc in /', 1000), h('/bin/sh -c #(nop)  CMD ["sh"]', 0)]);
    const img = image('sha256:x', ['app:1', 'app:latest'], [1, 2], '', [
      h('/bin/sh -c #(nop) ADD file:abc in /', 1000),
      h('/bin/sh -c #(nop)  CMD ["sh"]', 0),
      h('/bin/sh -c #(nop)  ENV APP_HOME=/app', 0),
      h('/bin/sh -c echo hi >> /log | tee x', 1000),
    ]);
    const node = buildLineage([parent, img], []).byId.get('sha256:x')!;
    const md = layersReport(node);
    assert.match(md, /^# Layers of app:latest$/m);
    assert.match(md, /2 filesystem layers \(diff IDs\)/);
    assert.match(md, /4 history entries, oldest first: 2 entries made a layer, 2 entries only changed the configuration \(no layer\)/);
    assert.match(md, /\| 1 \| layer 1 of 2 \| shared with parent \|/);
    assert.match(md, /\| 3 \| none \(configuration only\) \| \*\*own\*\* \| – \|/);
    assert.match(md, /\| 4 \| layer 2 of 2 \| \*\*own\*\* \| 1 kB \|/);
    assert.ok(md.includes('`/bin/sh -c #(nop) ENV APP_HOME=/app`'), 'created-by in a code span: no APP\\_HOME');
    assert.ok(md.includes('`/bin/sh -c echo hi >> /log \\| tee x`'), 'a | cannot split the cell');
    assert.match(md, /Parent: base:1 \(/);
    assert.match(md, /all tags: app:1, app:latest/);
  });
});

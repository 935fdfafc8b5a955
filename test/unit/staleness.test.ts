import * as assert from 'node:assert/strict';
import { BASE_DIGEST_LABEL, BASE_NAME_LABEL, buildLineage, type ImageRecord } from '../../src/core/lineage';
import { buildBase, foundBaseName, labelProvenance, provenanceLabels } from '../../src/core/provenance';
import { addRecipe, emptyRecipeBook, type Recipe, type RecipeBook } from '../../src/core/recipes';
import { computeStaleness, staleLensTitle, staleReason } from '../../src/core/staleness';
import { describePlan, planRebuild, RebuildProgress, summariseRebuild, UNKNOWN_RECIPE } from '../../src/core/rebuildPlan';
import { parseDockerfile } from '../../src/core/dockerfile';

const id = (n: string) => `sha256:${n.padEnd(64, '0')}`;
let clock = Date.parse('2024-05-01T10:00:00Z');

/** An image on top of `parent` (one more layer), recording `base` as labels when given. */
function img(name: string, tags: string[], parent?: ImageRecord, base?: { name: string; id: string }, extra: Record<string, string> = {}): ImageRecord {
  const inherited = parent ? parent.labels : {};
  return {
    id: id(name),
    repoTags: tags,
    repoDigests: [],
    parent: parent?.id ?? '',
    layers: [...(parent?.layers ?? []), `sha256:layer-${name}`],
    labels: { ...inherited, ...(base ? provenanceLabels(base) : {}), ...extra },
    created: (clock += 60_000),
    size: 100,
  };
}

function recipe(image: ImageRecord, tag: string, base?: ImageRecord, baseName?: string): Recipe {
  return {
    imageId: image.id,
    tag,
    dockerfile: `/work/${tag.split(':')[0]}/Dockerfile`,
    context: `/work/${tag.split(':')[0]}`,
    buildArgs: {},
    builder: 'classic',
    ...(base && baseName ? { base: { name: baseName, id: base.id } } : {}),
    builtAt: new Date(image.created).toISOString(),
  };
}

function book(...recipes: Recipe[]): RecipeBook {
  return recipes.reduce((b, r) => addRecipe(b, r), emptyRecipeBook());
}

/** busybox → base:1 (old, now dangling) → child:1 → grand:1; base:1 moved to a new image. */
function rebuiltFamily() {
  const busybox = img('bb', ['busybox:latest']);
  const oldBase = img('base1', [], busybox, { name: 'busybox:latest', id: busybox.id });
  const child = img('child', ['fam/child:1'], oldBase, { name: 'fam/base:1', id: oldBase.id });
  const grand = img('grand', ['fam/grand:1'], child, { name: 'fam/child:1', id: child.id });
  const newBase = img('base2', ['fam/base:1'], busybox, { name: 'busybox:latest', id: busybox.id });
  const recipes = [recipe(oldBase, 'fam/base:1', busybox, 'docker.io/library/busybox:latest'), recipe(child, 'fam/child:1', oldBase, 'docker.io/fam/base:1'), recipe(grand, 'fam/grand:1', child, 'docker.io/fam/child:1'), recipe(newBase, 'fam/base:1', busybox, 'docker.io/library/busybox:latest')];
  return { busybox, oldBase, child, grand, newBase, recipes };
}

describe('provenance labels', () => {
  it('normalises the base name and records the base ID', () => {
    assert.deepEqual(provenanceLabels({ name: 'busybox', id: id('bb') }), { [BASE_DIGEST_LABEL]: id('bb'), [BASE_NAME_LABEL]: 'docker.io/library/busybox:latest' });
    assert.deepEqual(provenanceLabels({ name: 'Not A Ref', id: id('bb') }), { [BASE_DIGEST_LABEL]: id('bb') });
  });

  it('ignores labels inherited unchanged from the lineage parent', () => {
    const busybox = img('bb', ['busybox:latest']);
    const base = img('b', ['base:1'], busybox, { name: 'busybox', id: busybox.id });
    const outside = img('o', ['outside:1'], base); // built by the docker CLI: inherits base's labels
    assert.equal(labelProvenance(outside, base), undefined);
    assert.deepEqual(labelProvenance(base, busybox), { id: busybox.id, name: 'docker.io/library/busybox:latest', source: 'label' });
  });

  it('records the base name the engine found: Podman looks a short name up as localhost/ first', () => {
    const podman = { shortNameDomains: ['localhost', 'docker.io'] };
    assert.equal(foundBaseName('team/base:1', ['localhost/team/base:1'], podman), 'localhost/team/base:1');
    assert.equal(foundBaseName('team/base:1', ['docker.io/team/base:1'], podman), 'docker.io/team/base:1');
    assert.equal(foundBaseName('busybox', ['busybox:latest']), 'docker.io/library/busybox:latest');
  });

  it('finds the external base of the build target through stage links, with build args', () => {
    const model = parseDockerfile('ARG B=busybox\nFROM $B AS build\nRUN true\nFROM build AS final\nFROM scratch AS empty\n', { buildArgs: { B: 'fam/base:1' } });
    assert.deepEqual(buildBase(model, 'final'), { kind: 'image', written: 'fam/base:1', reference: 'docker.io/fam/base:1' });
    assert.equal(buildBase(model).kind, 'none');
    assert.match((buildBase(model, 'nope') as { reason: string }).reason, /no stage named "nope"/);
  });
});

describe('staleness (core/staleness)', () => {
  it('marks the child (base moved) and the grandchild (base stale), counted on the new base', () => {
    const f = rebuiltFamily();
    const m = computeStaleness([f.busybox, f.oldBase, f.child, f.grand, f.newBase], book(...f.recipes));
    assert.deepEqual([...m.byId.keys()].sort(), [f.child.id, f.grand.id].sort());
    const c = m.byId.get(f.child.id)!;
    assert.equal(c.kind, 'base-moved');
    assert.equal(c.baseNow?.id, f.newBase.id);
    assert.match(staleReason(c), /^built on fam\/base:1 as it was on 2024-05-01 \d\d:\d\d UTC; that tag now points to a newer image$/);
    assert.equal(staleLensTitle(c), 'base rebuilt since fam/child:1 was built');
    const g = m.byId.get(f.grand.id)!;
    assert.equal(g.kind, 'base-stale');
    assert.equal(g.rootCause.id, f.newBase.id);
    assert.match(staleReason(g), /^built on fam\/child:1, which is stale: built on fam\/base:1/);
    assert.equal(m.byRootCause.get(f.newBase.id)?.length, 2);
    assert.equal(m.byId.has(f.oldBase.id), false, 'a dangling image is never marked');
  });

  it('marks nothing when the base is unchanged, unknown, or its tag is gone', () => {
    const busybox = img('bb', ['busybox:latest']);
    const base = img('b', ['fam/base:1'], busybox, { name: 'busybox', id: busybox.id });
    const child = img('c', ['fam/child:1'], base, { name: 'fam/base:1', id: base.id });
    const outside = img('o', ['fam/outside:1'], base);
    assert.equal(computeStaleness([busybox, base, child, outside], emptyRecipeBook()).byId.size, 0);
    const orphan = img('x', ['fam/x:1'], busybox, { name: 'fam/gone:1', id: id('gone') });
    assert.equal(computeStaleness([busybox, orphan], emptyRecipeBook()).byId.size, 0);
  });

  it('a re-tagged base (no rebuild) makes its children stale', () => {
    const busybox = img('bb', ['busybox:latest']);
    const a = img('a', ['fam/a:1'], busybox);
    const b = img('b', ['fam/base:1', 'fam/b:1'], busybox);
    const child = img('c', ['fam/child:1'], a, { name: 'fam/base:1', id: a.id });
    const m = computeStaleness([busybox, a, b, child], emptyRecipeBook());
    assert.equal(m.byId.get(child.id)?.baseNow?.id, b.id);
  });

  it("resolves recorded base names by the engine's rules (Podman's localhost/)", () => {
    const busybox = img('bb', ['docker.io/library/busybox:latest']);
    const oldBase = img('b1', [], busybox);
    const child = img('c', ['localhost/team/child:1'], oldBase, { name: 'localhost/team/base:1', id: oldBase.id });
    const newBase = img('b2', ['localhost/team/base:1'], busybox);
    const m = computeStaleness([busybox, oldBase, child, newBase], emptyRecipeBook(), { shortNameDomains: ['localhost', 'docker.io'] });
    assert.equal(m.byId.get(child.id)?.baseNow?.id, newBase.id);
    assert.equal(m.resolve('team/base:1')?.id, newBase.id);
  });

  it('uses the recipe when the image carries no label of its own', () => {
    const busybox = img('bb', ['busybox:latest']);
    const oldBase = img('b1', [], busybox);
    const child = img('c', ['fam/child:1'], oldBase);
    const newBase = img('b2', ['fam/base:1'], busybox);
    const m = computeStaleness([busybox, oldBase, child, newBase], book(recipe(child, 'fam/child:1', oldBase, 'docker.io/fam/base:1')));
    assert.equal(m.byId.get(child.id)?.provenance.source, 'recipe');
  });
});

describe('lineage rule 2 with provenance labels', () => {
  it('a base digest that names no local image is not replaced by the base name (the tag moved)', () => {
    const f = rebuiltFamily();
    // The old base is not listed (an untagged image with children is hidden from the image list).
    const forest = buildLineage([f.busybox, f.child, f.newBase]);
    const child = forest.byId.get(f.child.id)!;
    assert.notEqual(child.parent?.image.id, f.newBase.id, 'not under the new version of its base');
    assert.equal(child.parent?.image.id, f.busybox.id);
    assert.equal(child.rule, 'layer-prefix');
    assert.equal(buildLineage([f.busybox, f.oldBase, f.child, f.newBase]).byId.get(f.child.id)?.parent?.image.id, f.oldBase.id);
  });
});

describe('rebuild plan (core/rebuildPlan)', () => {
  it('rebuilds parents first and lists an outside-built descendant as unknown recipe', () => {
    const f = rebuiltFamily();
    const sibling = img('sib', ['fam/sib:1'], f.oldBase, { name: 'fam/base:1', id: f.oldBase.id });
    const outside = img('out', ['fam/outside:1'], f.child); // docker CLI build FROM child: no own labels
    const outsideOnBase = img('outb', ['fam/outb:1'], f.oldBase);
    const images = [f.busybox, f.oldBase, f.child, f.grand, f.newBase, sibling, outside, outsideOnBase];
    const b = book(...f.recipes, recipe(sibling, 'fam/sib:1', f.oldBase, 'docker.io/fam/base:1'));
    const plan = planRebuild(computeStaleness(images, b), b, f.newBase.id);
    const order = plan.steps.map((s) => `${s.label}:${s.action}`);
    assert.equal(plan.rebuildCount, 3);
    assert.ok(order.indexOf('fam/child:1:rebuild') < order.indexOf('fam/grand:1:rebuild'), order.join(' '));
    assert.ok(order.includes('fam/sib:1:rebuild'));
    const out = plan.steps.find((s) => s.label === 'fam/outside:1')!;
    assert.equal(out.skipReason, UNKNOWN_RECIPE);
    assert.equal(plan.steps[out.dependsOn!]!.label, 'fam/child:1');
    assert.equal(plan.steps.find((s) => s.label === 'fam/outb:1')?.skipReason, UNKNOWN_RECIPE, 'found under the former base version');
    assert.match(describePlan(plan)[0]!, /^1\/3 /);
    // The old version of the base as target gives the same stale set.
    assert.equal(planRebuild(computeStaleness(images, b), b, f.oldBase.id).rebuildCount, 3);
  });

  it('skips a stale image without recipe and everything built on it', () => {
    const f = rebuiltFamily();
    const b = book(f.recipes[0]!, f.recipes[2]!, f.recipes[3]!); // no recipe for child
    const plan = planRebuild(computeStaleness([f.busybox, f.oldBase, f.child, f.grand, f.newBase], b), b, f.newBase.id);
    assert.deepEqual(plan.steps.map((s) => [s.label, s.skipReason]), [
      ['fam/child:1', UNKNOWN_RECIPE],
      ['fam/grand:1', 'not rebuilt: its base fam/child:1 is not rebuilt'],
    ]);
    assert.equal(plan.rebuildCount, 0);
  });

  it('a failure stops its own subtree; its sibling goes on', () => {
    const f = rebuiltFamily();
    const sibling = img('sib', ['fam/sib:1'], f.oldBase, { name: 'fam/base:1', id: f.oldBase.id });
    const b = book(...f.recipes, recipe(sibling, 'fam/sib:1', f.oldBase, 'docker.io/fam/base:1'));
    const plan = planRebuild(computeStaleness([f.busybox, f.oldBase, f.child, f.grand, f.newBase, sibling], b), b, f.newBase.id);
    const p = new RebuildProgress(plan);
    const first = p.ready().map((s) => s.label).sort();
    assert.deepEqual(first, ['fam/child:1', 'fam/sib:1']);
    const child = plan.steps.find((s) => s.label === 'fam/child:1')!;
    const sib = plan.steps.find((s) => s.label === 'fam/sib:1')!;
    p.start(child.index);
    p.start(sib.index);
    p.finish(child.index, { status: 'failed', error: 'exit code: 1', durationMs: 5 });
    assert.equal(p.ready().length, 0);
    p.finish(sib.index, { status: 'rebuilt', newId: id('sib2'), durationMs: 5 });
    assert.ok(p.done);
    const s = summariseRebuild(p);
    assert.deepEqual(s.rebuilt.map((e) => [e.tag, e.newId]), [['fam/sib:1', id('sib2')]]);
    assert.deepEqual(s.failed.map((e) => e.tag), ['fam/child:1']);
    assert.deepEqual(s.skipped.map((e) => [e.tag, e.detail]), [['fam/grand:1', 'not rebuilt: its base fam/child:1 failed']]);
  });

  it('cancel marks what has not started', () => {
    const f = rebuiltFamily();
    const b = book(...f.recipes);
    const p = new RebuildProgress(planRebuild(computeStaleness([f.busybox, f.oldBase, f.child, f.grand, f.newBase], b), b, f.newBase.id));
    p.cancelRemaining();
    assert.equal(summariseRebuild(p).cancelled.length, 2);
  });
});

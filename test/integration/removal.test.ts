/**
 * Issue 15, item 1, against the real engine: Remove Image… on a tag of a multi-tag image untags
 * it (the image, its child and its container stay); the only tag of an image with a child is
 * refused by the model and by the engine alike; untagging an only tag is refused before anything
 * changes; the explicit subtree removal removes the container first, then every image with all
 * its tags; an image nothing depends on is removed. Everything made here carries
 * `io.container-lineage.test=removal` (images: the lineage label) and a unique suffix.
 */
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { buildLineage, removalPlan, type LineageForest } from '../../src/core/lineage';
import { decideRemoval, describePlan } from '../../src/core/removal';
import { removeSubtree } from '../../src/engine/containers';
import { ImageCatalog, ImageConflictError, listContainers, removeImage, tagImage, untagImage } from '../../src/engine/images';
import type { EngineConnection } from '../../src/engine/connection';
import { buildImage, TEST_LABEL } from './lineageFamily';
import { connectEngine, suffix as makeSuffix } from './helpers-throwaway';

describe('Remove Image / untag (real engine)', function () {
  this.timeout(180_000);
  const sfx = makeSuffix();
  const tag = (role: string) => `cl-rm-${role}-${sfx}:1`;
  const alias = `cl-rm-alias-${sfx}:ux`;
  let engine: EngineConnection;
  let docker: Docker;
  const ids: Record<string, string> = {};
  let containerId = '';
  const catalog = new ImageCatalog();

  const forest = async (): Promise<LineageForest> => buildLineage(await catalog.listImages(docker), await listContainers(docker));
  const exists = (ref: string) => docker.getImage(ref).inspect().then(() => true, () => false);

  before(async () => {
    ({ engine, docker } = await connectEngine());
    ids.base = await buildImage(docker, tag('base'), `FROM busybox:latest\nRUN echo base-${sfx} > /base.txt\n`, false);
    await tagImage(docker, ids.base, alias);
    ids.child = await buildImage(docker, tag('child'), `FROM ${tag('base')}\nRUN echo child-${sfx} > /child.txt\n`, false);
    ids.lone = await buildImage(docker, tag('lone'), `FROM busybox:latest\nRUN echo lone-${sfx} > /lone.txt\n`, false);
    const c = await docker.createContainer({ Image: tag('child'), Cmd: ['true'], name: `cl-rm-instance-${sfx}`, Labels: { [TEST_LABEL]: 'removal' }, HostConfig: { NetworkMode: 'none' } });
    containerId = c.id;
  });

  after(async () => {
    if (!docker) return;
    if (containerId) await docker.getContainer(containerId).remove({ force: true }).catch(() => undefined);
    for (const id of [ids.child, ids.base, ids.lone]) if (id) await docker.getImage(id).remove({ force: true }).catch(() => undefined);
    engine?.dispose();
  });

  it('removing one tag of a multi-tag image untags it: image, child and container stay', async () => {
    const node = (await forest()).byId.get(ids.base)!;
    assert.deepEqual([...node.image.repoTags].sort(), [alias, tag('base')].sort());
    const d = decideRemoval(node, alias);
    assert.equal(d.kind, 'untag');
    assert.ok(d.kind === 'untag');
    await untagImage(docker, d.tag, ids.base);
    const info = await docker.getImage(ids.base).inspect();
    assert.deepEqual(info.RepoTags, [tag('base')], 'only the other tag is left');
    assert.ok(await exists(ids.child), 'the child image stays');
    assert.equal((await docker.getContainer(containerId).inspect()).Id, containerId, 'the container stays');
    assert.equal(await exists(alias), false, 'the tag is gone');
  });

  it('untagging the only tag is refused before anything changes', async () => {
    await assert.rejects(untagImage(docker, tag('base'), ids.base), /only tag: untagging would delete the image/);
    assert.ok(await exists(tag('base')));
    await assert.rejects(untagImage(docker, tag('lone'), ids.base), /now names another image/);
    assert.ok(await exists(tag('lone')));
  });

  it('the only tag of an image with a child is blocked, by the model and by the engine', async () => {
    const node = (await forest()).byId.get(ids.base)!;
    const d = decideRemoval(node);
    assert.equal(d.kind, 'blocked');
    await assert.rejects(removeImage(docker, ids.base), (err: unknown) => err instanceof ImageConflictError);
    assert.ok(await exists(ids.base), 'still there after the refused removal');
  });

  it('an image nothing depends on is removed with its tag', async () => {
    const node = (await forest()).byId.get(ids.lone)!;
    assert.equal(decideRemoval(node).kind, 'delete');
    await removeImage(docker, ids.lone);
    assert.equal(await exists(ids.lone), false);
  });

  it('Remove Image and Descendants removes the container, then the child, then the image, naming every tag', async () => {
    await tagImage(docker, ids.child, alias);
    const plan = removalPlan((await forest()).byId.get(ids.base)!);
    const lines = describePlan(plan);
    assert.equal(lines[0], `container cl-rm-instance-${sfx} (created)`);
    assert.ok(lines.some((l) => l.includes(tag('child')) && l.includes(alias)), `every tag of the child is named: ${lines.join(' / ')}`);
    assert.ok(lines[lines.length - 1].includes(tag('base')));
    const r = await removeSubtree(docker, plan);
    assert.deepEqual(r.failures, []);
    assert.deepEqual(r.removedContainers, [containerId]);
    assert.deepEqual(r.removedImages, [ids.child, ids.base]);
    for (const ref of [ids.child, ids.base, alias]) assert.equal(await exists(ref), false, `${ref} removed`);
    assert.ok(await exists('busybox:latest'), 'the base image the family was built on is untouched');
    containerId = '';
  });
});

/**
 * Image lineage in the real extension host: the Images view provider renders a family built here
 * on the real engine (busybox → base → child → grandchild, a container under the grandchild) as a
 * three-level tree; IDs are stable across refreshes; the dangling toggle and the Containers view
 * work. The providers are rendered through the hidden command `containerLineage.internal.renderTree`
 * (getChildren + getTreeItem, exactly what VS Code calls). When the sample family of
 * scripts/build-samples.sh is on the engine, its shape is checked too.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { Services } from '../../../src/services';
import type { RenderedItem } from '../../../src/views/images';
import { buildImage, TEST_LABEL } from '../../integration/lineageFamily';
import { EXTENSION_ID, findRow, waitFor } from './helpers';

const find = (items: RenderedItem[], pred: (i: RenderedItem) => boolean): RenderedItem | undefined => findRow(items, pred);

function ids(items: RenderedItem[], out: string[] = []): string[] {
  for (const i of items) {
    if (i.id) out.push(i.id);
    ids(i.children, out);
  }
  return out;
}

async function render(view: 'images' | 'containers' = 'images'): Promise<RenderedItem[]> {
  return (await vscode.commands.executeCommand<RenderedItem[]>('containerLineage.internal.renderTree', view, true)) ?? [];
}


describe('Image lineage views', function () {
  this.timeout(120_000);
  const suffix = randomBytes(4).toString('hex');
  const tag = (role: string) => `cl-vsc-${role}-${suffix}:latest`;
  let services: Services;
  let containerId: string | undefined;
  const made: string[] = [];

  before(async () => {
    const ext = vscode.extensions.getExtension<{ services: Services }>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed`);
    services = (await ext.activate()).services;
    await waitFor('engine connected', 30_000, async () => (services.engine.state.kind === 'connected' ? true : undefined));
    const docker = services.engine.docker();
    // Classic builder here: BuildKit through dockerode loads .proto files at run time, which the
    // bundled extension does not ship (the integration tests cover BuildKit-built families).
    made.push(await buildImage(docker, tag('base'), `FROM busybox:latest\nRUN echo vsc-${suffix} > /base.txt\n`, false));
    made.push(await buildImage(docker, tag('child'), `FROM ${tag('base')}\nRUN echo child > /child.txt\n`, false));
    made.push(await buildImage(docker, tag('grand'), `FROM ${tag('child')}\nRUN echo grand > /grand.txt\n`, false));
    const c = await docker.createContainer({ Image: tag('grand'), Cmd: ['true'], name: `cl-vsc-instance-${suffix}`, Labels: { [TEST_LABEL]: 'lineage-vscode' }, HostConfig: { NetworkMode: 'none' } });
    containerId = c.id;
    await vscode.commands.executeCommand('workbench.view.extension.containerLineage');
  });

  after(async () => {
    await vscode.workspace.getConfiguration('containerLineage').update('images.showDangling', undefined, vscode.ConfigurationTarget.Global);
    const docker = services?.engine.docker();
    if (!docker) return;
    if (containerId) await docker.getContainer(containerId).remove({ force: true }).catch(() => undefined);
    for (const id of made.reverse()) await docker.getImage(id).remove({ force: true }).catch(() => undefined);
  });

  it('renders busybox → base → child → grandchild with the container under its image', async () => {
    const tree = await waitFor('the family in the Images view', 30_000, async () => {
      const t = await render();
      return find(t, (i) => i.label === tag('grand')) ? t : undefined;
    });
    const busybox = find(tree, (i) => i.label === 'busybox:latest');
    assert.ok(busybox, 'busybox is in the tree');
    const base = busybox.children.find((i) => i.label === tag('base'));
    assert.ok(base, 'base is a child of busybox');
    const child = base.children.find((i) => i.label === tag('child'));
    assert.ok(child, 'child is a child of base');
    const grand = child.children.find((i) => i.label === tag('grand'));
    assert.ok(grand, 'grandchild is a child of child');
    // appendText escapes Markdown and turns spaces into &nbsp;: compare the text as shown.
    const tip = (grand.tooltip ?? '').replace(/&nbsp;/g, ' ').replace(/\\(.)/g, '$1');
    assert.match(tip, /Parent found:\*\* (built on its layers|recorded by the engine) \(rule (layer-prefix|parent-field):/, 'the tooltip says the parent rule in words, its name as detail');
    assert.match(grand.description ?? '', /\d+(\.\d+)? [kMG]?B · /, 'description shows unique size and age');
    assert.equal(grand.contextValue, 'image');
    const instance = grand.children.find((i) => i.label === `cl-vsc-instance-${suffix}`);
    assert.ok(instance, 'the container is listed under its image');
    assert.equal(instance.contextValue, 'container.stopped');
    assert.match(instance.description ?? '', /^created/);
  });

  it('keeps item IDs stable across refreshes, unique within the tree', async () => {
    // Only this suite's items: the engine is shared, other suites' items come and go meanwhile.
    const mine = (id: string) => made.slice(0, 3).some((m) => id.includes(m)) || (containerId !== undefined && id.includes(containerId));
    const first = await render();
    const a = ids(first).filter(mine);
    const b = ids(await render()).filter(mine);
    assert.equal(a.length, 4, `three images and one container: ${a.join(', ')}`);
    assert.deepEqual(b, a);
    const all = ids(first);
    assert.equal(new Set(all).size, all.length, 'IDs are unique');
  });

  it('the Containers view groups by state and names the image', async () => {
    const tree = await render('containers');
    const created = tree.find((g) => g.id === 'state:created');
    assert.ok(created, 'a Created group exists');
    const row = created.children.find((c) => c.label === `cl-vsc-instance-${suffix}`);
    assert.ok(row, 'the container is in the Created group');
    assert.ok(row.description?.startsWith(tag('grand')), `description names the image: ${row.description}`);
  });

  it('the dangling toggle hides untagged images', async () => {
    const docker = services.engine.docker();
    // Rebuild a tag: the image that had it becomes dangling (it has no children, so it is listed).
    made.push(await buildImage(docker, tag('dangle'), `FROM ${tag('base')}\nRUN echo v1 > /v.txt\n`, false));
    const oldDangle = made.at(-1)!;
    made.push(await buildImage(docker, tag('dangle'), `FROM ${tag('base')}\nRUN echo v2 > /v.txt\n`, false));
    const shown = await waitFor('dangling image shown', 20_000, async () => {
      const t = await render();
      const d = find(t, (i) => i.id === `image:${oldDangle}`);
      return d?.contextValue === 'image.dangling' ? t : undefined;
    });
    assert.ok(find(shown, (i) => i.id === `image:${oldDangle}`)?.description?.includes('dangling'));
    await vscode.commands.executeCommand('containerLineage.images.hideDangling');
    const hidden = await render();
    assert.equal(find(hidden, (i) => i.id === `image:${oldDangle}`), undefined, 'hidden by the toggle');
    assert.ok(find(hidden, (i) => i.label === tag('dangle')), 'the tagged rebuild is still shown');
    await vscode.commands.executeCommand('containerLineage.images.showDangling');
    assert.ok(find(await render(), (i) => i.id === `image:${oldDangle}`), 'shown again');
  });

  it('Inspect Image opens a read-only JSON document; Show Image Layers marks own vs shared layers', async () => {
    const grandId = made[2];
    await vscode.commands.executeCommand('containerLineage.image.inspect', grandId);
    const doc = await waitFor('inspect document', 10_000, async () => {
      const d = vscode.window.activeTextEditor?.document;
      return d?.uri.scheme === 'container-lineage-inspect' && d.uri.path.startsWith('/image/') ? d : undefined;
    });
    assert.equal((JSON.parse(doc.getText()) as { Id: string }).Id, grandId);
    const uri = await vscode.commands.executeCommand<vscode.Uri>('containerLineage.image.showLayers', grandId);
    const text = (await vscode.workspace.openTextDocument(uri)).getText();
    assert.match(text, /\| \*\*own\*\* \|/);
    assert.match(text, /shared with parent/);
    assert.match(text, /echo grand/);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('the sample family (scripts/build-samples.sh) is a three-level tree', async function () {
    const tree = await render();
    const base = find(tree, (i) => i.label === 'lineage-sample/base:1.0');
    assert.ok(base, 'lineage-sample/base:1.0 is missing: npm test builds the sample family (scripts/build-samples.sh) before this level');
    const child = base.children.find((i) => i.label === 'lineage-sample/child:1.0');
    assert.ok(child, 'lineage-sample/child:1.0 under base');
    assert.ok(child.children.some((i) => i.label === 'lineage-sample/grandchild:1.0'), 'grandchild under child');
  });
});

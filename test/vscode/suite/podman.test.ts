/**
 * The extension connected to Podman: runs only in the `podman` scenario of scripts/test-vscode.mjs
 * (title tag `@scenario:podman`), where code-server starts with DOCKER_HOST naming the private
 * Podman of scripts/podman.sh, which holds the sample family copied from the Docker engine by ID.
 * The scenario's setup also made, on Podman, a created container of the grandchild
 * (CL_PODMAN_CONTAINER) and an image with three tags (CL_PODMAN_MULTI, its repository).
 * Podman cannot start containers in this sandbox: nothing here starts one.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { RenderedItem } from '../../../src/views/images';
import { findRow, services, waitFor } from './helpers';

const SAMPLE = ['busybox:latest', 'lineage-sample/base:1.0', 'lineage-sample/child:1.0', 'lineage-sample/grandchild:1.0'];

async function render(view: 'images' | 'containers'): Promise<RenderedItem[]> {
  return (await vscode.commands.executeCommand<RenderedItem[]>('containerLineage.internal.renderTree', view, true)) ?? [];
}

describe('Connected to Podman @scenario:podman', function () {
  this.timeout(120_000);

  before(async () => {
    const { engine } = await services();
    await waitFor('engine connected', 60_000, () => (engine.state.kind === 'connected' ? true : undefined));
    await vscode.commands.executeCommand('workbench.view.extension.containerLineage');
  });

  it('the engine is Podman, named "Podman <version>", its Buildah version read from /_ping', async () => {
    const { engine } = await services();
    const state = engine.state;
    assert.ok(state.kind === 'connected');
    assert.equal(state.info.kind, 'podman');
    assert.match(state.info.title, /^Podman \d+\.\d+\.\d+$/);
    assert.match(state.info.builderVersion ?? '', /^\d+\.\d+/);
    assert.equal(state.source, 'DOCKER_HOST');
  });

  it('the Images view shows the sample family as a tree under busybox:latest, named as typed (Podman lists localhost/…), full names in tooltips', async () => {
    const items = await render('images');
    let level = items;
    let parent: RenderedItem | undefined;
    for (const label of SAMPLE) {
      const row = level.find((i) => i.label === label);
      assert.ok(row, `${label} under ${parent?.label ?? 'the roots'}; there: ${level.map((i) => i.label).join(', ')}`);
      if (label !== 'busybox:latest') assert.match(row.tooltip ?? '', new RegExp(`localhost/${label.replace(/[.]/g, '\\.')}`));
      parent = row;
      level = row.children;
    }
    assert.ok(!findRow(items, (i) => i.label.startsWith('localhost/')), 'no label shows the localhost/ prefix');
  });

  it('the created container is under the grandchild and in the Created group of the Containers view', async () => {
    const name = process.env.CL_PODMAN_CONTAINER;
    assert.ok(name, 'CL_PODMAN_CONTAINER is not set');
    const items = await render('images');
    const grand = findRow(items, (i) => i.label === 'lineage-sample/grandchild:1.0');
    assert.ok(grand?.children.some((c) => c.label === name && /created/.test(c.description ?? '')), `children of the grandchild: ${JSON.stringify(grand?.children.map((c) => c.label))}`);
    const groups = await render('containers');
    const created = groups.find((g) => g.id === 'state:created');
    assert.ok(created?.children.some((c) => c.label === name && (c.description ?? '').includes('lineage-sample/grandchild:1.0')), JSON.stringify(groups));
  });

  it('an image with three tags says +2 next to its best tag', async () => {
    const repo = process.env.CL_PODMAN_MULTI;
    assert.ok(repo, 'CL_PODMAN_MULTI is not set');
    const items = await render('images');
    const row = findRow(items, (i) => i.label === `${repo}:1`);
    assert.ok(row, `no row ${repo}:1`);
    assert.match(row.description ?? '', /^\+2 · /);
    for (const t of ['1', '2', '3']) assert.ok((row.tooltip ?? '').includes(`${repo}:${t}`), `tooltip lists ${repo}:${t}`);
  });
});

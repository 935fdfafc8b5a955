/**
 * Issue 15 in the real extension host (real engine): relative times re-rendered from cache; FROM
 * lenses counting the same child images as the tree on the same event; reports and inspect
 * documents named by tag, the reports rendered (Markdown preview, never an unsaved document);
 * pooled containers refused as commit sources; View Logs and Attach Shell terminals. Dialog
 * focus, the multi-step prompt and the rendered report are checked through the UI by
 * scripts/test-vscode.mjs (test/vscode/ux-ui.mjs). Engine resources carry
 * `io.container-lineage.test=ux-vscode` and a unique suffix.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type Docker from 'dockerode';
import type { RenderedItem } from '../../../src/views/images';
import type { ContainerRecord } from '../../../src/core/lineage';
import { buildImage } from '../../integration/lineageFamily';
import { findRow, services, waitFor } from './helpers';

const LABEL = { 'io.container-lineage.test': 'ux-vscode' };
const render = async (view: 'images' | 'containers', refresh: boolean) =>
  (await vscode.commands.executeCommand<RenderedItem[]>('containerLineage.internal.renderTree', view, refresh)) ?? [];
const tabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs);

describe('Issue 15: what a new user hit in the demo', function () {
  this.timeout(180_000);
  const sfx = randomBytes(4).toString('hex');
  let docker: Docker;
  const images: string[] = [];
  const containers: string[] = [];

  before(async () => {
    const s = await services();
    await waitFor('engine connected', 30_000, () => (s.engine.state.kind === 'connected' ? true : undefined));
    docker = s.engine.docker();
    await vscode.commands.executeCommand('workbench.view.extension.containerLineage');
  });

  after(async () => {
    await vscode.commands.executeCommand('containerLineage.transactions.drainPools');
    for (const t of vscode.window.terminals) if (/^(Logs|Shell): cl-ux-/.test(t.name)) t.dispose();
    for (const id of containers) await docker?.getContainer(id).remove({ force: true }).catch(() => undefined);
    for (const id of images.reverse()) await docker?.getImage(id).remove({ force: true }).catch(() => undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  const startContainer = async (name: string, cmd = ['sleep', '300']) => {
    const c = await docker.createContainer({ Image: 'busybox:latest', name, Cmd: cmd, Labels: LABEL, HostConfig: { NetworkMode: 'none' } });
    containers.push(c.id);
    await c.start();
    return c.id;
  };

  it('a running container\'s "Up …" stays true without a refresh (re-rendered from cache)', async () => {
    const name = `cl-ux-up-${sfx}`;
    await startContainer(name);
    const row = await waitFor('the container in the Containers view', 20_000, async () => findRow(await render('containers', true), (i) => i.label === name));
    assert.match(row.description ?? '', /Up (Less than a second|\d+ seconds?)$/);
    // No refresh from here on: the providers render from the snapshot they have.
    const later = await waitFor('the description to move on', 15_000, async () => {
      const r = findRow(await render('containers', false), (i) => i.label === name);
      return r && r.description !== row.description && /Up ([3-9]|1\d) seconds$/.test(r.description ?? '') ? r : undefined;
    });
    assert.equal(later.id, row.id, 'the item ID did not change');
    const started = Date.parse((await docker.getContainer(name).inspect()).State.StartedAt);
    const shown = Number(/Up (\d+) seconds/.exec(later.description!)![1]);
    assert.ok(Math.abs(shown - (Date.now() - started) / 1000) < 3, `shows ${shown} s, started ${(Date.now() - started) / 1000} s ago`);
  });

  it('the FROM lens counts the same child images as the tree, updated on the same image event', async () => {
    const base = `cl-ux-base-${sfx}:1`;
    images.push(await buildImage(docker, base, `FROM busybox:latest\nRUN echo ux-${sfx} > /ux\n`, false));
    const dir = mkdtempSync(join(tmpdir(), 'cl-ux-lens-'));
    try {
      const file = join(dir, 'Dockerfile');
      writeFileSync(file, `FROM ${base}\nRUN true\n`);
      const doc = await vscode.workspace.openTextDocument(file);
      await vscode.window.showTextDocument(doc);
      const lensTitle = async () =>
        ((await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri)) ?? []).map((l) => l.command?.title ?? '').find((t) => t.includes(base)) ?? '';
      await waitFor('the lens over FROM', 20_000, async () => ((await lensTitle()).includes('0 child images') ? true : undefined));
      images.push(await buildImage(docker, `cl-ux-kid-${sfx}:1`, `FROM ${base}\nRUN echo kid > /kid\n`, false));
      const t0 = Date.now();
      await waitFor('the lens to say 1 child image', 15_000, async () => ((await lensTitle()).includes('1 child image') ? true : undefined));
      const lensAfter = Date.now() - t0;
      const tree = await render('images', false);
      const baseRow = findRow(tree, (i) => i.label === base);
      assert.ok(baseRow, 'the base is in the tree');
      assert.deepEqual(baseRow.children.filter((c) => c.id?.startsWith('image:')).map((c) => c.label), [`cl-ux-kid-${sfx}:1`], 'the tree, rendered from the same snapshot, shows the child too');
      assert.ok(lensAfter < 15_000, `the lens followed within ${lensAfter} ms`);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Show Image Layers opens a rendered, read-only report named by tag; Inspect is named by tag', async () => {
    const base = `cl-ux-base-${sfx}:1`;
    const uri = await vscode.commands.executeCommand<vscode.Uri>('containerLineage.image.showLayers', base);
    assert.equal(uri.scheme, 'container-lineage-report');
    const text = (await vscode.workspace.openTextDocument(uri)).getText();
    assert.match(text, /^# Layers of cl-ux-base-/m);
    assert.match(text, /filesystem layers? \(diff IDs\)/);
    assert.match(text, /history entries, oldest first: \d+ entr(y|ies) made a layer/);
    const preview = await waitFor('a Markdown preview tab', 15_000, () => tabs().find((t) => t.label === `Preview Layers of ${base}.md`));
    assert.ok(preview.input instanceof vscode.TabInputWebview, `the report is rendered (a webview), not a text editor: ${preview.input?.constructor?.name}`);
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.isUntitled && d.getText().includes('Layers of')), 'no untitled document to save');
    await vscode.commands.executeCommand('containerLineage.image.inspect', base);
    await waitFor('the inspect tab named by tag', 10_000, () => tabs().find((t) => t.label === `${base}.json`));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Run Transactions opens its report rendered and named by image; a pooled container is refused as a commit source', async () => {
    const report = await vscode.commands.executeCommand<{ completed: number; mode: string }>('containerLineage.transactions.run', {
      image: 'busybox:latest',
      cmd: ['echo', 'hello'],
      count: 2,
      concurrency: 2,
      poolSize: 2,
    });
    assert.equal(report.completed, 2);
    assert.equal(report.mode, 'warm');
    const tab = await waitFor('the transactions report tab', 15_000, () => tabs().find((t) => /^Preview Transactions on busybox:latest \d\d:\d\d:\d\d\.md$/.test(t.label)));
    assert.ok(tab.input instanceof vscode.TabInputWebview);
    // The pool refills in the background: its containers are there, labelled as pooled.
    const pooled = await waitFor('a pooled container', 20_000, async () => {
      const list = await docker.listContainers({ all: true, filters: { label: ['io.container-lineage.pool=busybox:latest'] } });
      return list[0];
    });
    const r = await vscode.commands.executeCommand('containerLineage.commitContainer', pooled.Id, { tag: `cl-ux-pooled-${sfx}:1`, noPrompt: true });
    assert.equal(r, undefined, 'no commit of a pooled container');
    assert.equal(await docker.getImage(`cl-ux-pooled-${sfx}:1`).inspect().then(() => true, () => false), false);
    const row = findRow(await render('containers', true), (i) => i.id === `container:${pooled.Id}`);
    assert.ok(row?.contextValue?.endsWith('.pooled'), `the pooled row's context value hides Commit: ${row?.contextValue}`);
    await vscode.commands.executeCommand('containerLineage.transactions.drainPools');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('View Logs follows in a terminal; Attach Shell execs into the running container, and closing it ends only the shell', async () => {
    const name = `cl-ux-logs-${sfx}`;
    const id = await startContainer(name, ['sh', '-c', 'echo ux-log-line; sleep 300']);
    const record = (await waitFor('the container in the model', 20_000, async () => {
      const r = findRow(await render('containers', true), (i) => i.id === `container:${id}`);
      return r ? { id, names: [name], state: 'running' } : undefined;
    })) as Partial<ContainerRecord>;
    const logs = await vscode.commands.executeCommand<{ terminal: vscode.Terminal }>('containerLineage.container.viewLogs', { kind: 'container', container: record });
    assert.equal(logs.terminal.name, `Logs: ${name}`);
    const shell = await vscode.commands.executeCommand<{ terminal: vscode.Terminal; ready: Promise<string> }>('containerLineage.container.attachShell', { kind: 'container', container: record });
    assert.equal(shell.terminal.name, `Shell: ${name}`);
    const execId = await shell.ready;
    assert.equal((await docker.getExec(execId).inspect()).Running, true);
    shell.terminal.dispose();
    await waitFor('the shell to end when its terminal closes', 15_000, async () => ((await docker.getExec(execId).inspect()).Running ? undefined : true));
    assert.equal((await docker.getContainer(id).inspect()).State.Running, true, 'the container keeps running');
    logs.terminal.dispose();
  });
});

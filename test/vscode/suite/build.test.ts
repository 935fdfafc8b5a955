/**
 * Build child images inside a real VS Code against the real engine: code lenses over FROM lines
 * of the sample Dockerfiles, the "Build child image" lens builds an unsaved buffer and the new
 * image appears under its parent in the Images view (BuildKit by default, the classic builder
 * when chosen), the cache-mount sample builds with BuildKit, and a failing build puts an error
 * diagnostic on the failing instruction that follows it through edits and reverts and goes
 * away when it changes (cleared by the next successful build too).
 * Everything built carries the label io.container-lineage.test=build and is removed after.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { connectedForBuilds, restoreBuildNetwork, services, waitFor } from './helpers';

const BUILD = 'containerLineage.buildImage';
const LABELS = { 'io.container-lineage.test': 'build' };
const suffix = Math.random().toString(16).slice(2, 10);

interface Rendered {
  label: string;
  children: Rendered[];
}

interface BuildResult {
  ok: boolean;
  builder?: string;
  imageId?: string;
  error?: string;
  failedRange?: { start: { line: number } };
}

const buildDiagnostics = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Container Lineage build');

async function parentInTree(tag: string): Promise<string> {
  const trail = await waitFor(`${tag} under its parent in the Images view`, 30_000, async () => {
    const tree = await vscode.commands.executeCommand<Rendered[]>('containerLineage.internal.renderTree', 'images', true);
    const p = tree ? findPath(tree, tag) : undefined;
    return p && p.length >= 2 ? p : undefined;
  });
  return trail[trail.length - 2]!;
}


function samplesFolder(): string {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'no workspace folder open (the samples folder should be)');
  return f.uri.fsPath;
}

async function lenses(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  return (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)) ?? [];
}

function titles(ls: vscode.CodeLens[], line: number): string[] {
  return ls.filter((l) => l.range.start.line === line).map((l) => l.command?.title ?? '');
}

function findPath(items: Rendered[], label: string, trail: string[] = []): string[] | undefined {
  for (const i of items) {
    if (i.label === label) return [...trail, i.label];
    const sub = findPath(i.children, label, [...trail, i.label]);
    if (sub) return sub;
  }
  return undefined;
}

describe('Build child images (lenses, build command, diagnostics)', function () {
  this.timeout(180_000);
  const tags: string[] = [];

  before(async () => {
    await connectedForBuilds();
  });

  after(async () => {
    await restoreBuildNetwork();
    const docker = (await services()).engine.docker();
    for (const t of tags) await docker.getImage(t).remove().catch(() => undefined);
    // Leave the Images view settled: the removed images gone from the provider, and the selection
    // (the last build/commit selected its image) moved to an image that still exists. Otherwise
    // the next suite's view focus reveals a selected element the tree no longer holds (VS Code's
    // TreeView.focus reveals the selection: "Data tree node not found").
    const removed = new Set(tags);
    const has = (items: Rendered[]): boolean => items.some((i) => removed.has(i.label) || has(i.children));
    await waitFor('removed images gone from the Images view', 30_000, async () => {
      const tree = await vscode.commands.executeCommand<Rendered[]>('containerLineage.internal.renderTree', 'images', true);
      return has(tree ?? []) ? undefined : true;
    });
    const busybox = await docker.getImage('busybox:latest').inspect().catch(() => undefined);
    if (busybox) await vscode.commands.executeCommand('containerLineage.images.reveal', busybox.Id);
    // close what the suite opened without save prompts (untitled buffers are dirty)
    for (let i = 0; i < 10 && vscode.window.activeTextEditor; i++) {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  });

  it('shows lenses on every FROM line of the multi-stage sample: base status, in-file link, build', async () => {
    const uri = vscode.Uri.file(path.join(samplesFolder(), 'multistage', 'Dockerfile'));
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const fromLines = doc.getText().split(/\r?\n/).flatMap((l, i) => (/^FROM\s/i.test(l) ? [i] : []));
    assert.equal(fromLines.length, 3);
    const ls = await waitFor('code lenses', 30_000, async () => {
      const got = await lenses(uri);
      return fromLines.every((l) => titles(got, l).length > 0) ? got : undefined;
    });
    const [build, check, runtime] = fromLines as [number, number, number];
    assert.ok(titles(ls, build).some((t) => /busybox:latest · present · \d+ child image/.test(t)), titles(ls, build).join(' | '));
    assert.ok(titles(ls, build).includes('Show in tree'));
    assert.ok(titles(ls, check).some((t) => /from stage build \(line \d+\)/.test(t)), titles(ls, check).join(' | '));
    assert.ok(titles(ls, runtime).some((t) => /Build child image$/.test(t)), titles(ls, runtime).join(' | '));
    assert.ok(titles(ls, build).some((t) => /Build child image \(stage build\)/.test(t)));
  });

  it('lenses follow unsaved edits: an unresolved ARG base says so', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'dockerfile', content: 'FROM busybox:latest\n' });
    await vscode.window.showTextDocument(doc);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, new vscode.Position(1, 0), 'ARG LATE=busybox\nFROM $LATE\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const ls = await waitFor('lenses on line 2', 30_000, async () => {
      const got = await lenses(doc.uri);
      return titles(got, 2).length > 0 ? got : undefined;
    });
    assert.ok(titles(ls, 2).some((t) => /base unresolved/.test(t)), titles(ls, 2).join(' | '));
    assert.ok(!titles(ls, 2).some((t) => /Build child image/.test(t)), 'no build lens on an unresolved base');
  });

  it('"Build child image" builds the unsaved buffer; the child appears under busybox:latest in the Images view', async () => {
    const tag = `cl-vscode-build-${suffix}:child`;
    tags.push(tag);
    const doc = await vscode.workspace.openTextDocument({
      language: 'dockerfile',
      content: `FROM busybox:latest\nRUN echo built-from-the-buffer-${suffix} > /marker\nCMD ["cat", "/marker"]\n`,
    });
    await vscode.window.showTextDocument(doc);
    const ls = await waitFor('build lens', 30_000, async () => {
      const got = await lenses(doc.uri);
      return got.find((l) => l.command?.command === BUILD) ? got : undefined;
    });
    const lens = ls.find((l) => l.command?.command === BUILD)!;
    const [uri, opts] = lens.command!.arguments as [vscode.Uri, object];
    assert.equal(uri.toString(), doc.uri.toString());
    const result = await vscode.commands.executeCommand<{ ok: boolean; imageId?: string; error?: string }>(BUILD, uri, { ...opts, tag, labels: LABELS, noPrompt: true });
    assert.ok(result?.ok, `build failed: ${result?.error}`);
    const s = await services();
    const img = await s.engine.docker().getImage(tag).inspect();
    assert.equal(img.Id, result.imageId);
    const trail = await waitFor('the child under its parent in the Images view', 30_000, async () => {
      const tree = await vscode.commands.executeCommand<Rendered[]>('containerLineage.internal.renderTree', 'images', true);
      const p = tree ? findPath(tree, tag) : undefined;
      return p && p.length >= 2 ? p : undefined;
    });
    assert.equal(trail[trail.length - 2], 'busybox:latest', `path in tree: ${trail.join(' → ')}`);
  });

  it('the sample child built from an unsaved edit: the image reflects the buffer and appears under lineage-sample/base:1.0', async function () {
    const docker = (await services()).engine.docker();
    const present = await docker.getImage('lineage-sample/base:1.0').inspect().then(() => true, () => false);
    assert.ok(present, 'lineage-sample/base:1.0 is missing: npm test builds the sample family (scripts/build-samples.sh) before this level');
    const uri = vscode.Uri.file(path.join(samplesFolder(), 'child', 'Dockerfile'));
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const onDisk = doc.getText();
    const fromLine = onDisk.split(/\r?\n/).findIndex((l) => /^FROM\s/i.test(l));
    const ls = await waitFor('child lenses', 30_000, async () => {
      const got = await lenses(uri);
      return titles(got, fromLine).some((t) => /present/.test(t)) ? got : undefined;
    });
    assert.ok(titles(ls, fromLine).some((t) => /lineage-sample\/base:1\.0 · present · \d+ child image/.test(t)), titles(ls, fromLine).join(' | '));
    const tag = `cl-vscode-build-${suffix}:sample-child`;
    tags.push(tag);
    // The unsaved buffer: the sample's text plus two lines, in an untitled editor (never written
    // to disk, whatever auto-save does), built with the sample's folder as build context.
    const buffer = await vscode.workspace.openTextDocument({
      language: 'dockerfile',
      content: `${onDisk}\nLABEL io.container-lineage.buffer="${suffix}"\nRUN echo unsaved-${suffix}\n`,
    });
    await vscode.window.showTextDocument(buffer);
    assert.ok(buffer.isDirty || buffer.isUntitled);
    const lens = ls.find((l) => l.command?.command === BUILD)!;
    const [, opts] = lens.command!.arguments as [vscode.Uri, object];
    const result = await vscode.commands.executeCommand<{ ok: boolean; imageId?: string; error?: string }>(BUILD, buffer.uri, {
      ...opts,
      tag,
      labels: LABELS,
      noPrompt: true,
      contextFolder: path.dirname(uri.fsPath),
    });
    assert.ok(result?.ok, `build failed: ${result?.error}`);
    const img = await docker.getImage(tag).inspect();
    assert.equal(img.Config.Labels?.['io.container-lineage.buffer'], suffix, 'the image reflects the unsaved buffer');
    const trail = await waitFor('the child under lineage-sample/base:1.0', 30_000, async () => {
      const tree = await vscode.commands.executeCommand<Rendered[]>('containerLineage.internal.renderTree', 'images', true);
      const p = tree ? findPath(tree, tag) : undefined;
      return p && p.length >= 2 ? p : undefined;
    });
    assert.equal(trail[trail.length - 2], 'lineage-sample/base:1.0', `path in tree: ${trail.join(' → ')}`);
    assert.equal(doc.getText(), onDisk, 'the sample file is untouched');
    assert.equal(doc.isDirty, false);
  });

  it('a failing RUN in the second stage puts an error diagnostic on its line, applies no tag, and the next success clears it', async () => {
    const tag = `cl-vscode-build-${suffix}:fails`;
    tags.push(tag);
    const doc = await vscode.workspace.openTextDocument({ language: 'dockerfile', content: 'FROM busybox:latest AS one\nRUN echo fine\n\nFROM one\nWORKDIR /w\nRUN echo failing && exit 7\n' });
    await vscode.window.showTextDocument(doc);
    const bad = await vscode.commands.executeCommand<BuildResult>(BUILD, doc.uri, { tag, labels: LABELS, noPrompt: true });
    assert.equal(bad?.ok, false);
    assert.equal(bad!.builder, 'buildkit', 'auto picks BuildKit on this engine');
    assert.match(bad!.error!, /exit code: 7/);
    const diags = buildDiagnostics(doc.uri);
    assert.equal(diags.length, 1);
    assert.equal(diags[0]!.range.start.line, 5, 'the failing RUN of the second stage');
    assert.equal(diags[0]!.severity, vscode.DiagnosticSeverity.Error);
    await assert.rejects((await services()).engine.docker().getImage(tag).inspect(), /no such image/i);
    // fix the buffer (unsaved) and build again: the diagnostic goes away
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, doc.lineAt(5).range, 'RUN echo fixed');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const good = await vscode.commands.executeCommand<{ ok: boolean; error?: string }>(BUILD, doc.uri, { tag, labels: LABELS, noPrompt: true });
    assert.ok(good?.ok, good?.error);
    assert.equal(vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === 'Container Lineage build').length, 0);
  });

  it('the cache-mount sample (RUN --mount=type=cache) builds with BuildKit from its lens; the image sits under busybox:latest', async () => {
    const uri = vscode.Uri.file(path.join(samplesFolder(), 'cache-mount', 'Dockerfile'));
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    assert.match(doc.getText(), /RUN --mount=type=cache,target=\/root\/\.cache/);
    const ls = await waitFor('the build lens', 30_000, async () => {
      const got = await lenses(uri);
      return got.find((l) => l.command?.command === BUILD) ? got : undefined;
    });
    const [lensUri, opts] = ls.find((l) => l.command?.command === BUILD)!.command!.arguments as [vscode.Uri, object];
    const tag = `cl-vscode-build-${suffix}:cache-mount`;
    tags.push(tag);
    const r = await vscode.commands.executeCommand<BuildResult>(BUILD, lensUri, { ...opts, tag, labels: LABELS, noPrompt: true });
    assert.ok(r?.ok, `build failed: ${r?.error}`);
    assert.equal(r.builder, 'buildkit');
    const docker = (await services()).engine.docker();
    assert.equal((await docker.getImage(tag).inspect()).Parent, '', 'BuildKit records no Parent: the tree places it by layers');
    assert.equal(await parentInTree(tag), 'busybox:latest');
    assert.equal(doc.isDirty, false);
  });

  it('a LABEL-only BuildKit child sits under its parent in the Images view (by history); the classic builder stays selectable', async () => {
    const parentTag = `cl-vscode-build-${suffix}:parent`;
    const labelTag = `cl-vscode-build-${suffix}:label-only`;
    const classicTag = `cl-vscode-build-${suffix}:classic`;
    tags.push(labelTag, classicTag, parentTag);
    const contextFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'cl-vscode-ctx-'));
    const build = async (content: string, tag: string, extra: object = {}) => {
      const doc = await vscode.workspace.openTextDocument({ language: 'dockerfile', content });
      return vscode.commands.executeCommand<BuildResult>(BUILD, doc.uri, { tag, labels: LABELS, noPrompt: true, contextFolder, ...extra });
    };
    const p = await build(`FROM busybox:latest\nRUN echo parent-${suffix} > /p\n`, parentTag);
    assert.ok(p?.ok, p?.error);
    const l = await build(`FROM ${parentTag}\nLABEL only=${suffix}\n`, labelTag);
    assert.ok(l?.ok && l.builder === 'buildkit', l?.error);
    assert.equal(await parentInTree(labelTag), parentTag);
    const c = await build(`FROM ${parentTag}\nRUN echo classic > /c\n`, classicTag, { builder: 'classic' });
    assert.ok(c?.ok && c.builder === 'classic', c?.error);
    const docker = (await services()).engine.docker();
    assert.notEqual((await docker.getImage(classicTag).inspect()).Parent, '', 'the classic builder records Parent');
    assert.equal(await parentInTree(classicTag), parentTag);
    fs.rmSync(contextFolder, { recursive: true, force: true });
  });

  it('issue 15: the failure diagnostic follows its instruction through edits above it, leaves when it is edited, and a revert does not move it to another line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cl-vscode-diag-'));
    // Auto Save would write the edits to disk and leave Revert File nothing to revert.
    const files = vscode.workspace.getConfiguration('files');
    const autoSave = files.inspect<string>('autoSave')?.globalValue;
    await files.update('autoSave', 'off', vscode.ConfigurationTarget.Global);
    try {
      const file = path.join(dir, 'Dockerfile');
      fs.writeFileSync(file, `FROM busybox:latest\nRUN echo fine\nRUN echo failing-${suffix} && exit 5\n`);
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
      const editor = await vscode.window.showTextDocument(doc);
      const tag = `cl-vscode-build-${suffix}:diag`;
      tags.push(tag);
      const bad = await vscode.commands.executeCommand<BuildResult>(BUILD, doc.uri, { tag, labels: LABELS, noPrompt: true });
      assert.equal(bad?.ok, false);
      assert.equal(bad!.failedRange!.start.line, 2);
      const lineOf = () => buildDiagnostics(doc.uri).map((d) => d.range.start.line);
      /** waitFor, naming the document's state when it times out */
      const until = (what: string, ok: () => boolean) =>
        waitFor(what, 20_000, () => (ok() ? true : undefined)).catch((e: Error) => {
          throw new Error(`${e.message}; now: diagnostics on ${JSON.stringify(lineOf())}, dirty ${doc.isDirty}, active ${vscode.window.activeTextEditor?.document.uri.fsPath}, text ${JSON.stringify(doc.getText())}`);
        });
      assert.deepEqual(lineOf(), [2]);
      // two lines added above (unsaved): it moves with its instruction
      assert.ok(await editor.edit((e) => e.insert(new vscode.Position(1, 0), '# a note\nENV A=1\n')));
      await until('the diagnostic on line 5', () => lineOf()[0] === 4);
      // Revert File: the text on disk, where the failing instruction is on line 3 again
      await vscode.commands.executeCommand('workbench.action.files.revert');
      await until('the diagnostic back on line 3 after the revert', () => doc.getText().split('\n').length === 4 && lineOf()[0] === 2);
      assert.match(doc.lineAt(buildDiagnostics(doc.uri)[0]!.range.start.line).text, /failing-/, 'it sits on the failing instruction');
      // the failing instruction edited: the diagnostic goes away
      assert.ok(await editor.edit((e) => e.replace(doc.lineAt(2).range, `RUN echo repaired-${suffix}`)));
      await until('no diagnostic once the instruction changed', () => lineOf().length === 0);
      // a failure that exists only in the unsaved buffer leaves with a revert
      assert.ok(await editor.edit((e) => e.insert(new vscode.Position(3, 0), 'RUN exit 9\n')));
      const again = await vscode.commands.executeCommand<BuildResult>(BUILD, doc.uri, { tag, labels: LABELS, noPrompt: true });
      assert.equal(again?.ok, false);
      await until('the new failure on line 4', () => lineOf()[0] === 3);
      await vscode.commands.executeCommand('workbench.action.files.revert');
      await until('no diagnostic after reverting to a text without that instruction', () => lineOf().length === 0);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    } finally {
      await files.update('autoSave', autoSave, vscode.ConfigurationTarget.Global);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Commit Container as Child Image: Parent is the container image, and the image shows under it', async () => {
    const docker = (await services()).engine.docker();
    const base = await docker.getImage('busybox:latest').inspect();
    const c = await docker.createContainer({ Image: 'busybox:latest', Cmd: ['sh', '-c', 'echo customised > /custom && sleep 30'], Labels: LABELS, HostConfig: { NetworkMode: 'none' } });
    try {
      await c.start();
      const tag = `cl-vscode-build-${suffix}:committed`;
      tags.push(tag);
      const r = await vscode.commands.executeCommand<{ imageId: string; parentId: string }>('containerLineage.commitContainer', c.id, {
        tag,
        comment: 'customised in a container',
        changes: ['CMD ["cat", "/custom"]', 'LABEL io.container-lineage.test=build'],
        pause: true,
        noPrompt: true,
      });
      assert.ok(r, 'the command returned no result (see the log)');
      assert.equal(r.parentId, base.Id);
      const img = await docker.getImage(tag).inspect();
      assert.equal(img.Parent, base.Id);
      assert.equal(img.Comment, 'customised in a container');
      const trail = await waitFor('the committed image under busybox:latest', 30_000, async () => {
        const tree = await vscode.commands.executeCommand<Rendered[]>('containerLineage.internal.renderTree', 'images', true);
        const p = tree ? findPath(tree, tag) : undefined;
        return p && p.length >= 2 ? p : undefined;
      });
      assert.equal(trail[trail.length - 2], 'busybox:latest');
    } finally {
      await c.remove({ force: true });
    }
  });
});

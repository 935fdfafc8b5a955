/**
 * Stale descendants inside a real VS Code against the real engine: a family built here through
 * the Build command (Dockerfiles on disk, so recipes are recorded), the base rebuilt with one
 * changed line; the Images view marks the child and the grandchild stale and counts them on the
 * base, the FROM lens of the child's Dockerfile says "base rebuilt since … was built · Rebuild",
 * and Rebuild Descendants rebuilds child then grandchild, after which nothing is stale and the
 * grandchild hangs under the new child.
 *
 * With CL_STALE_UI_REPO and CL_STALE_UI_DIR set (scripts/test-vscode.mjs), the family gets that
 * name and folder, and a last test changes the base once more and leaves the family stale, its
 * child's Dockerfile open, for the UI proof (clicks, screenshots); the script removes it then.
 * Everything carries io.container-lineage.test=<repo name>.
 */
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RenderedItem } from '../../../src/views/images';
import { connectedForBuilds, findRow, restoreBuildNetwork, services, waitFor } from './helpers';

const BUILD = 'containerLineage.buildImage';
const REBUILD = 'containerLineage.image.rebuildDescendants';
const TEST_LABEL = 'io.container-lineage.test';
const suffix = Math.random().toString(16).slice(2, 10);

async function render(): Promise<RenderedItem[]> {
  return (await vscode.commands.executeCommand<RenderedItem[]>('containerLineage.internal.renderTree', 'images', true)) ?? [];
}

const rowOf = (tree: RenderedItem[], label: string) => findRow(tree, (i) => i.label === label);
/** A tooltip's text (engine strings are appended as text, i.e. with markdown escapes). */
const plain = (markdown: string | undefined) => (markdown ?? '').replace(/&nbsp;/g, ' ').replace(/\\(.)/g, '$1');

/** A family base → child → grandchild in `dir`, built through the Build command. */
async function buildFamily(dir: string, repo: string) {
  const tags = { base: `${repo}/base:1`, child: `${repo}/child:1`, grandchild: `${repo}/grandchild:1` };
  const files = {
    base: `FROM busybox:latest\nRUN echo ${repo}-v1 > /base.txt\n`,
    child: `FROM ${tags.base}\nRUN echo child > /child.txt\n`,
    grandchild: `FROM ${tags.child}\nRUN echo grandchild > /grandchild.txt\n`,
  };
  const uris: Record<keyof typeof tags, vscode.Uri> = {} as never;
  for (const role of ['base', 'child', 'grandchild'] as const) {
    mkdirSync(path.join(dir, role), { recursive: true });
    writeFileSync(path.join(dir, role, 'Dockerfile'), files[role]);
    uris[role] = vscode.Uri.file(path.join(dir, role, 'Dockerfile'));
    const r = await vscode.commands.executeCommand<{ ok: boolean; error?: string }>(BUILD, uris[role], { tag: tags[role], labels: { [TEST_LABEL]: repo }, noPrompt: true });
    assert.ok(r?.ok, `build of ${tags[role]} failed: ${r?.error}`);
  }
  let version = 1;
  /** Change one line of the base's Dockerfile (through the editor, saved) and build it again. */
  const rebuildBase = async () => {
    const doc = await vscode.workspace.openTextDocument(uris.base);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, doc.lineAt(1).range, `RUN echo ${repo}-v${++version} > /base.txt`);
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(await doc.save());
    const r = await vscode.commands.executeCommand<{ ok: boolean; error?: string }>(BUILD, uris.base, { tag: tags.base, labels: { [TEST_LABEL]: repo }, noPrompt: true });
    assert.ok(r?.ok, `rebuild of ${tags.base} failed: ${r?.error}`);
  };
  return { tags, uris, rebuildBase };
}

async function removeFamily(repo: string): Promise<void> {
  const docker = (await services()).engine.docker();
  for (let round = 0; round < 5; round++) {
    const images = await docker.listImages({ all: true, filters: JSON.stringify({ label: [`${TEST_LABEL}=${repo}`] }) });
    if (images.length === 0) return;
    for (const i of images) await docker.getImage(i.Id).remove({ force: true }).catch(() => undefined);
  }
}

describe('Stale descendants (Images view marker, FROM lens, Rebuild Descendants)', function () {
  this.timeout(240_000);
  // The UI proof's family when scripts/test-vscode.mjs hands one over, else our own.
  const handOff = process.env.CL_STALE_UI_REPO && process.env.CL_STALE_UI_DIR ? { repo: process.env.CL_STALE_UI_REPO, dir: process.env.CL_STALE_UI_DIR } : undefined;
  const repo = handOff?.repo ?? `cl-stale-vsc-${suffix}`;
  const dir = handOff?.dir ?? mkdtempSync(path.join(tmpdir(), 'cl-stale-vsc-'));
  let family: Awaited<ReturnType<typeof buildFamily>> | undefined;

  before(async () => {
    await connectedForBuilds();
  });

  after(async () => {
    await restoreBuildNetwork();
    if (handOff) return; // the script removes the family after the UI proof
    await removeFamily(repo);
    rmSync(dir, { recursive: true, force: true });
    // Leave the Images view settled on an image that exists (see the build suite).
    await waitFor('the removed family gone from the Images view', 30_000, async () => (rowOf(await render(), `${repo}/base:1`) ? undefined : true));
    const busybox = await (await services()).engine.docker().getImage('busybox:latest').inspect().catch(() => undefined);
    if (busybox) await vscode.commands.executeCommand('containerLineage.images.reveal', busybox.Id);
  });

  it('after a base rebuild: child and grandchild marked stale and counted on the base; the lens says so; Rebuild Descendants fixes it', async () => {
    family = await buildFamily(dir, repo);
    const { tags, uris, rebuildBase } = family;
    let tree = await render();
    assert.ok(!/stale/.test(rowOf(tree, tags.child)?.description ?? ''), 'nothing stale before the base changes');
    await rebuildBase();

    tree = await waitFor('stale markers', 30_000, async () => {
      const t = await render();
      return /stale/.test(rowOf(t, tags.grandchild)?.description ?? '') ? t : undefined;
    });
    const child = rowOf(tree, tags.child)!;
    assert.match(child.description!, /· stale$/);
    assert.match(plain(child.tooltip), new RegExp(`built on ${repo}/base:1 as it was on \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC; that tag now points to a newer image`));
    assert.match(plain(rowOf(tree, tags.grandchild)!.tooltip), new RegExp(`built on ${repo}/child:1, which is stale`));
    assert.match(rowOf(tree, tags.base)!.description!, /2 stale descendants/);

    const lenses = await waitFor('the stale lens', 30_000, async () => {
      const ls = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uris.child, 100)) ?? [];
      return ls.find((l) => l.command?.command === REBUILD) ? ls : undefined;
    });
    const lens = lenses.find((l) => l.command?.command === REBUILD)!;
    assert.equal(lens.command!.title, `$(history) base rebuilt since ${tags.child} was built · Rebuild`);
    assert.equal(lens.range.start.line, 0, 'on the FROM line');

    const docker = (await services()).engine.docker();
    const oldChild = (await docker.getImage(tags.child).inspect()).Id;
    const result = await vscode.commands.executeCommand<{ summary?: { rebuilt: Array<{ tag: string; oldId: string; newId: string }>; failed: unknown[] } }>(REBUILD, ...(lens.command!.arguments ?? []), { noPrompt: true });
    assert.ok(result?.summary, 'Rebuild Descendants returned no summary (see the log)');
    assert.deepEqual(result.summary.failed, []);
    assert.deepEqual(result.summary.rebuilt.map((e) => e.tag), [tags.child, tags.grandchild], 'parents first');
    assert.equal(result.summary.rebuilt[0]!.oldId, oldChild);
    const newChild = (await docker.getImage(tags.child).inspect()).Id;
    assert.equal(result.summary.rebuilt[0]!.newId, newChild);

    tree = await waitFor('no stale marker left', 30_000, async () => {
      const t = await render();
      const rows = [tags.base, tags.child, tags.grandchild].map((tg) => rowOf(t, tg));
      return rows.every((r) => r && !/stale/.test(r.description ?? '')) ? t : undefined;
    });
    const under = rowOf(tree, tags.child)!;
    assert.ok(under.children.some((c) => c.label === tags.grandchild), 'the grandchild hangs under the new child');
  });

  if (handOff) {
    it('leaves the family stale again (one more base change), its child Dockerfile open, for the UI proof', async () => {
      assert.ok(family, 'the family was not built');
      await family.rebuildBase();
      await waitFor('stale markers', 30_000, async () => (/stale/.test(rowOf(await render(), family!.tags.grandchild)?.description ?? '') ? true : undefined));
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(family.uris.child));
    });
  }
});

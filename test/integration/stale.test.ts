/**
 * Stale descendants on the real engine: provenance labels and recipes written by the build path
 * the editor uses (buildWithProvenance), staleness after a base rebuild or re-tag, Rebuild
 * Descendants (order, failure isolation, unknown recipes), and the `stale` / `rebuild` CLI on
 * the same recipe store. Own image families (cl-stale-<suffix>/…) built from busybox:latest,
 * label io.container-lineage.test=stale; the recipe store is a temporary XDG_STATE_HOME.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { EngineConnection } from '../../src/engine/connection';
import { buildWithProvenance } from '../../src/engine/provenanceBuild';
import { loadStaleModel, runRebuild } from '../../src/engine/rebuild';
import { commitContainer } from '../../src/engine/commit';
import { buildLineage, BASE_DIGEST_LABEL, BASE_NAME_LABEL } from '../../src/core/lineage';
import { planRebuild, UNKNOWN_RECIPE } from '../../src/core/rebuildPlan';
import { staleLensTitle, staleReason } from '../../src/core/staleness';
import { recipeStorePath, RecipeStore } from '../../src/store/recipeStore';
import { buildImage as plainBuild } from './lineageFamily';

const TEST = 'io.container-lineage.test';
const labels = { [TEST]: 'stale' };
const CLI = join(__dirname, '..', '..', 'src', 'cli.ts');

describe('stale descendants and Rebuild Descendants (real engine)', function () {
  this.timeout(300_000);
  const suffix = randomBytes(4).toString('hex');
  const repo = `cl-stale-${suffix}`;
  const state = mkdtempSync(join(tmpdir(), 'cl-stale-state-'));
  const work = mkdtempSync(join(tmpdir(), 'cl-stale-work-'));
  const store = new RecipeStore(recipeStorePath({ XDG_STATE_HOME: state }));
  const built = new Set<string>();
  const containers: string[] = [];
  let engine: EngineConnection;
  let docker: Docker;

  before(async () => {
    engine = new EngineConnection({ env: process.env });
    await engine.connect();
    docker = engine.docker();
    await docker.getImage('busybox:latest').inspect(); // prerequisite: scripts/engine.sh imports it
  });

  after(async () => {
    for (const c of containers) await docker.getContainer(c).remove({ force: true }).catch(() => undefined);
    // Tags first, then every image made here, children before parents (a few rounds).
    const mine = (await docker.listImages({ filters: JSON.stringify({ label: [`${TEST}=stale`] }) })).filter((i) => (i.RepoTags ?? []).some((t) => t.startsWith(repo)));
    for (const i of mine) for (const t of i.RepoTags ?? []) if (t.startsWith(repo)) await docker.getImage(t).remove().catch(() => undefined);
    for (let round = 0; round < 5 && built.size; round++) {
      for (const id of [...built].reverse()) {
        await docker.getImage(id).remove({ noprune: false }).then(() => built.delete(id), (e: { statusCode?: number }) => e.statusCode === 404 && built.delete(id));
      }
    }
    engine.dispose();
    rmSync(state, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  /** Write `<work>/<name>/Dockerfile` and build it the way the editor does. */
  async function build(name: string, tag: string, dockerfile: string): Promise<string> {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'Dockerfile'), dockerfile);
    const r = await buildWithProvenance(docker, { contextDir: dir, dockerfilePath: join(dir, 'Dockerfile'), tag, labels, networkMode: 'none' }, store);
    for (const s of r.stepImages) built.add(s);
    assert.ok(r.ok, `build of ${tag} failed: ${r.error}`);
    assert.equal(r.recipeError, undefined);
    built.add(r.imageId!);
    return r.imageId!;
  }

  const idOf = async (tag: string) => (await docker.getImage(tag).inspect()).Id;
  const stale = async () => (await loadStaleModel(docker, store)).model;

  function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, XDG_STATE_HOME: state } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  }

  it('base → child → grandchild: a base rebuild makes both stale; Rebuild Descendants rebuilds child then grandchild', async () => {
    const base = `${repo}/base:1`;
    const child = `${repo}/child:1`;
    const grand = `${repo}/grandchild:1`;
    const base1 = await build('base', base, `FROM busybox:latest\nRUN echo base-v1-${suffix} > /base.txt\n`);
    const busybox = await idOf('busybox:latest');
    const baseLabels = (await docker.getImage(base1).inspect()).Config.Labels ?? {};
    assert.equal(baseLabels[BASE_NAME_LABEL], 'docker.io/library/busybox:latest');
    assert.equal(baseLabels[BASE_DIGEST_LABEL], busybox);
    const child1 = await build('child', child, `FROM ${base}\nRUN echo child > /child.txt\n`);
    const grand1 = await build('grandchild', grand, `FROM ${child}\nRUN echo grandchild > /grand.txt\n`);
    assert.equal(store.read().images[child1]?.base?.id, base1, 'recipe records the base ID at build time');
    const before = await stale();
    assert.ok(!before.byId.has(child1) && !before.byId.has(grand1), 'nothing stale before the base changes');

    // Rebuild the base with one changed line.
    const base2 = await build('base', base, `FROM busybox:latest\nRUN echo base-v2-${suffix} > /base.txt\n`);
    assert.notEqual(base2, base1);
    let m = await stale();
    assert.equal(m.byId.get(child1)?.kind, 'base-moved');
    assert.match(staleReason(m.byId.get(child1)!), new RegExp(`^built on ${repo}/base:1 as it was on .*; that tag now points to a newer image$`));
    assert.equal(staleLensTitle(m.byId.get(child1)!), `base rebuilt since ${child} was built`);
    assert.equal(m.byId.get(grand1)?.kind, 'base-stale');
    assert.equal(m.byRootCause.get(base2)?.length, 2, 'counted on the new base');

    const listed = await cli(['stale', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const entries = (JSON.parse(listed.stdout) as { stale: Array<{ id: string; base: { recordedId: string; currentId: string | null } }> }).stale;
    const c = entries.find((e) => e.id === child1);
    assert.deepEqual(c?.base, { name: `docker.io/${repo}/base:1`, recordedId: base1, currentId: base2, source: 'label' });
    assert.ok(entries.some((e) => e.id === grand1));

    const dry = await cli(['rebuild', base, '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    const planned = (JSON.parse(dry.stdout) as { plan: { steps: Array<{ tag: string; action: string }> } }).plan.steps.map((s) => `${s.tag}:${s.action}`);
    assert.deepEqual(planned, [`${child}:rebuild`, `${grand}:rebuild`]);
    assert.equal(await idOf(child), child1, 'a dry run builds nothing');

    const { book } = await loadStaleModel(docker, store);
    const plan = planRebuild(m, book, base2);
    const order: string[] = [];
    const run = await runRebuild(docker, plan, { store, onStart: (s, n, total) => order.push(`${n}/${total} ${s.label}`) });
    for (const s of run.stepImages) built.add(s);
    assert.deepEqual(order, [`1/2 ${child}`, `2/2 ${grand}`]);
    assert.deepEqual(run.summary.failed, []);
    const child2 = await idOf(child);
    const grand2 = await idOf(grand);
    built.add(child2).add(grand2);
    assert.deepEqual(run.summary.rebuilt.map((e) => [e.tag, e.oldId, e.newId]), [[child, child1, child2], [grand, grand1, grand2]]);

    m = await stale();
    assert.ok(![child2, grand2].some((id) => m.byId.has(id)), 'nothing of the family is stale after');
    const images = (await loadStaleModel(docker, store)).images;
    assert.equal(buildLineage(images).byId.get(grand2)?.parent?.image.id, child2, "the grandchild's new parent is the new child");
    assert.equal(buildLineage(images).byId.get(child2)?.parent?.image.id, base2);
  });

  it('a child whose Dockerfile now fails is reported; its own descendant is not rebuilt; its sibling is', async () => {
    const base = `${repo}/fbase:1`;
    await build('fbase', base, `FROM busybox:latest\nRUN echo fbase-v1-${suffix} > /b\n`);
    const broken1 = await build('broken', `${repo}/broken:1`, `FROM ${base}\nRUN echo broken > /c\n`);
    const below1 = await build('below', `${repo}/below:1`, `FROM ${repo}/broken:1\nRUN echo below > /d\n`);
    const sib1 = await build('sibling', `${repo}/sibling:1`, `FROM ${base}\nRUN echo sibling > /e\n`);
    const base2 = await build('fbase', base, `FROM busybox:latest\nRUN echo fbase-v2-${suffix} > /b\n`);
    writeFileSync(join(work, 'broken', 'Dockerfile'), `FROM ${base}\nRUN echo now-failing && exit 3\n`);

    const { model, book } = await loadStaleModel(docker, store);
    const run = await runRebuild(docker, planRebuild(model, book, base2), { store });
    for (const s of run.stepImages) built.add(s);
    assert.deepEqual(run.summary.failed.map((e) => e.tag), [`${repo}/broken:1`]);
    assert.match(run.summary.failed[0]!.detail!, /exit code: 3|returned a non-zero code: 3/);
    assert.deepEqual(run.summary.skipped.map((e) => [e.tag, e.detail]), [[`${repo}/below:1`, `not rebuilt: its base ${repo}/broken:1 failed`]]);
    assert.deepEqual(run.summary.rebuilt.map((e) => e.tag), [`${repo}/sibling:1`]);
    assert.equal(await idOf(`${repo}/broken:1`), broken1, 'a failed build moves no tag');
    assert.equal(await idOf(`${repo}/below:1`), below1);
    const sib2 = await idOf(`${repo}/sibling:1`);
    built.add(sib2);
    assert.notEqual(sib2, sib1);
  });

  it('a descendant built outside the extension (no labels, no recipe) is listed "cannot rebuild: unknown recipe", never rebuilt', async () => {
    const base = `${repo}/obase:1`;
    await build('obase', base, `FROM busybox:latest\nRUN echo obase-v1-${suffix} > /b\n`);
    const child1 = await build('ochild', `${repo}/ochild:1`, `FROM ${base}\nRUN echo ochild > /c\n`);
    // Built by the docker API directly (classic builder): inherits ochild's labels, has no recipe.
    const outsideTag = `${repo}/outside:1`;
    const outside1 = await plainBuild(docker, outsideTag, `FROM ${repo}/ochild:1\nRUN echo outside-${suffix} > /o\n`, false);
    built.add(outside1);
    const base2 = await build('obase', base, `FROM busybox:latest\nRUN echo obase-v2-${suffix} > /b\n`);
    const { model, book } = await loadStaleModel(docker, store);
    assert.equal(model.byId.has(outside1), false, 'an image whose base cannot be known is not marked');
    assert.equal(model.byId.has(child1), true);
    const dry = await cli(['rebuild', base, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`${outsideTag}: ${UNKNOWN_RECIPE}`));
    const run = await runRebuild(docker, planRebuild(model, book, base2), { store });
    assert.deepEqual(run.summary.skipped.map((e) => [e.tag, e.detail]), [[outsideTag, UNKNOWN_RECIPE]]);
    assert.equal(await idOf(outsideTag), outside1, 'never rebuilt from a guessed Dockerfile');
    built.add(await idOf(`${repo}/ochild:1`));
  });

  it('re-tagging a base to another image (no rebuild) also makes its children stale; the CLI rebuilds them', async () => {
    const base = `${repo}/rbase:1`;
    await build('rbase', base, `FROM busybox:latest\nRUN echo rbase-${suffix} > /b\n`);
    const other = await build('other', `${repo}/other:1`, `FROM busybox:latest\nRUN echo other-${suffix} > /b\n`);
    const child1 = await build('rchild', `${repo}/rchild:1`, `FROM ${base}\nRUN echo rchild > /c\n`);
    await docker.getImage(other).tag({ repo: `${repo}/rbase`, tag: '1' });
    const m = await stale();
    assert.equal(m.byId.get(child1)?.baseNow?.id, other);
    const r = await cli(['rebuild', base, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const summary = (JSON.parse(r.stdout) as { summary: { rebuilt: Array<{ tag: string; newId: string }> } }).summary;
    assert.deepEqual(summary.rebuilt.map((e) => e.tag), [`${repo}/rchild:1`]);
    built.add(summary.rebuilt[0]!.newId);
    const labelsNow = (await docker.getImage(`${repo}/rchild:1`).inspect()).Config.Labels ?? {};
    assert.equal(labelsNow[BASE_DIGEST_LABEL], other, 'rebuilt on the image the tag points to now');
    assert.equal(labelsNow[TEST], 'stale', "the recipe's own labels are applied again");
  });

  it('cancelling stops the running build without moving its tag; what is built on it is not rebuilt', async () => {
    const base = `${repo}/kbase:1`;
    await build('kbase', base, `FROM busybox:latest\nRUN echo kbase-v1-${suffix} > /b\n`);
    const slow1 = await build('slow', `${repo}/slow:1`, `FROM ${base}\nRUN echo slow > /s\n`);
    await build('slowchild', `${repo}/slowchild:1`, `FROM ${repo}/slow:1\nRUN echo below > /c\n`);
    const base2 = await build('kbase', base, `FROM busybox:latest\nRUN echo kbase-v2-${suffix} > /b\n`);
    writeFileSync(join(work, 'slow', 'Dockerfile'), `FROM ${base}\nRUN sleep 60\n`);
    const { model, book } = await loadStaleModel(docker, store);
    const ac = new AbortController();
    const started = Date.now();
    const run = await runRebuild(docker, planRebuild(model, book, base2), { store, signal: ac.signal, onStart: () => setTimeout(() => ac.abort(), 2000) });
    for (const s of run.stepImages) built.add(s);
    assert.ok(Date.now() - started < 30_000, 'the sleeping build was stopped');
    assert.equal(run.cancelled, true);
    assert.deepEqual(run.summary.rebuilt, []);
    assert.deepEqual([...run.summary.cancelled, ...run.summary.skipped].map((e) => e.tag).sort(), [`${repo}/slow:1`, `${repo}/slowchild:1`]);
    assert.equal(await idOf(`${repo}/slow:1`), slow1, 'no tag moved');
    const left = await docker.listContainers({ all: true, filters: JSON.stringify({ ancestor: [base2] }) });
    assert.deepEqual(left.map((c) => c.Id), [], 'no build container left running');
  });

  it('a commit records its base as labels', async () => {
    const base = `${repo}/cbase:1`;
    const baseId = await build('cbase', base, `FROM busybox:latest\nRUN echo cbase-${suffix} > /b\n`);
    const c = await docker.createContainer({ Image: base, Cmd: ['true'], Labels: labels, HostConfig: { NetworkMode: 'none' } });
    containers.push(c.id);
    const r = await commitContainer(docker, { container: c.id, tag: `${repo}/committed:1`, changes: [`LABEL ${TEST}=stale`] });
    built.add(r.imageId);
    const l = (await docker.getImage(r.imageId).inspect()).Config.Labels ?? {};
    assert.equal(l[BASE_NAME_LABEL], `docker.io/${repo}/cbase:1`);
    assert.equal(l[BASE_DIGEST_LABEL], baseId);
  });
});

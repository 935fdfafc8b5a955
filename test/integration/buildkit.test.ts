/**
 * BuildKit builds on the real engine (engine/builders/buildkit through runBuild, builder auto):
 * cache mounts, multi-stage targets, build args, failures mapped to their Dockerfile line, no
 * tag on failure or cancel, cancel stops the build in the engine, a 120 s silent RUN, the
 * frontend's limits explained, and BuildKit-built children placed in the lineage.
 */
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildLineage } from '../../src/core/lineage';
import { ImageCatalog } from '../../src/engine/images';
import { dialRaw } from '../../src/engine/builders/request';
import type { BuildProgressEvent } from '../../src/engine/builders';
import { BuildSuite } from './buildHelpers';

/** The Dockerfile: the form `docker init` and current templates produce. */
const CACHE_MOUNT_DOCKERFILE = 'FROM busybox:latest\nRUN --mount=type=cache,target=/root/.cache echo cached > /root/.cache/x && cat /root/.cache/x\nCOPY app.txt /app.txt\n';

interface CacheRecord {
  ID: string;
  Type: string;
  Description?: string;
  InUse: boolean;
}

function recorder(): { events: BuildProgressEvent[]; lines: () => string[]; on: (e: BuildProgressEvent) => void } {
  const events: BuildProgressEvent[] = [];
  return { events, lines: () => events.flatMap((e) => (e.kind === 'output' ? [e.line] : [])), on: (e) => events.push(e) };
}

/** Processes on this host whose command line contains `marker` (the engine runs here). */
function processesWith(marker: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(marker) && !cmd.includes('mocha')) out.push(`${pid} ${cmd}`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('BuildKit builds on the real engine (engine/builders/buildkit)', function () {
  this.timeout(180_000);
  const s = new BuildSuite('buildkit');
  const cacheIds: string[] = [];

  async function buildCache(): Promise<CacheRecord[]> {
    const res = await dialRaw(s.docker, { path: '/system/df?', method: 'GET', options: { type: 'build-cache' } });
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { BuildCache?: CacheRecord[] }).BuildCache ?? [];
  }

  before(() => s.connect());
  after(async () => {
    // The cache mounts this suite made (named by id): prune them, only them.
    const records = await buildCache().catch(() => [] as CacheRecord[]);
    for (const r of records.filter((r) => cacheIds.some((id) => r.Description?.includes(id)))) {
      const res = await dialRaw(s.docker, { path: '/build/prune?', method: 'POST', options: { filters: JSON.stringify({ id: [r.ID] }) } }).catch(() => undefined);
      res?.resume();
    }
    await s.cleanup();
  });

  it('auto chooses BuildKit on this engine and says so; the cache-mount Dockerfile builds, plain progress shows numbered steps with their output', async () => {
    const dir = s.contextDir();
    writeFileSync(join(dir, 'app.txt'), `app-${s.suffix}\n`);
    const rec = recorder();
    const tag = s.tag('cache-mount');
    const r = await s.build({ contextDir: dir, dockerfileText: CACHE_MOUNT_DOCKERFILE, tag, noCache: true, onProgress: rec.on });
    assert.equal(r.ok, true, r.error);
    assert.equal(r.builder, 'buildkit');
    assert.match(r.reason, /BuildKit/);
    const lines = rec.lines();
    assert.match(lines[0]!, /^Builder: BuildKit \(/);
    // a cache mount is a second source, so even this one-stage file gets its stage label
    assert.ok(lines.some((l) => /^#\d+ \[stage-0 2\/3\] RUN --mount=type=cache,target=\/root\/\.cache echo cached/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^#\d+ \d+\.\d{3} cached$/.test(l)), 'the RUN output line with its time');
    assert.ok(lines.some((l) => /^#\d+ DONE \d+\.\ds$/.test(l)));
    const steps = rec.events.filter((e): e is Extract<BuildProgressEvent, { kind: 'step' }> => e.kind === 'step');
    assert.ok(steps.length > 0 && steps.every((e) => e.total === 3), JSON.stringify(steps));
    assert.equal(steps[steps.length - 1]!.done, 3);
    assert.equal(r.durations.steps.length, 3);
    assert.equal(await s.fileInImage(tag, '/app.txt'), `app-${s.suffix}\n`);
    // built again: every step comes from the cache, and says so
    const again = recorder();
    const r2 = await s.build({ contextDir: dir, dockerfileText: CACHE_MOUNT_DOCKERFILE, tag, onProgress: again.on });
    assert.equal(r2.ok, true, r2.error);
    assert.equal(again.lines().filter((l) => /^#\d+ CACHED$/.test(l)).length >= 2, true, again.lines().join('\n'));
  });

  it('an unsaved buffer is what is built, not the file on disk', async () => {
    const dir = s.contextDir();
    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox:latest\nRUN echo from-disk > /which\n');
    const r = await s.build({ contextDir: dir, dockerfileText: 'FROM busybox:latest\nRUN echo from-buffer > /which\n', dockerfilePath: join(dir, 'Dockerfile'), tag: s.tag('buffer') });
    assert.equal(r.ok, true, r.error);
    assert.equal(await s.fileInImage(s.tag('buffer'), '/which'), 'from-buffer\n');
  });

  it('the second build\'s RUN sees the file the first left in the cache mount', async () => {
    const id = `cl-cache-${s.suffix}`;
    cacheIds.push(id);
    const mount = `--mount=type=cache,id=${id},target=/root/.cache`;
    const first = await s.build({ contextDir: s.contextDir(), dockerfileText: `FROM busybox:latest\nRUN ${mount} echo left-by-first-${s.suffix} > /root/.cache/x\n`, tag: s.tag('cache-1') });
    assert.equal(first.ok, true, first.error);
    const second = await s.build({ contextDir: s.contextDir(), dockerfileText: `FROM busybox:latest\nRUN ${mount} cat /root/.cache/x > /seen\n`, tag: s.tag('cache-2') });
    assert.equal(second.ok, true, second.error);
    assert.equal(await s.fileInImage(s.tag('cache-2'), '/seen'), `left-by-first-${s.suffix}\n`);
    assert.equal(await s.pathInImage(s.tag('cache-2'), '/root/.cache/x'), false, 'the cache mount is not part of the image');
  });

  it('multi-stage with a target and build args; a saved Dockerfile is sent as docker build sends it (COPY . sees no injected file, ignored files are not sent)', async () => {
    const dir = s.contextDir();
    writeFileSync(join(dir, '.dockerignore'), 'secret.txt\n');
    writeFileSync(join(dir, 'secret.txt'), 'no');
    writeFileSync(join(dir, 'kept.txt'), 'yes');
    const text = 'ARG BASE=busybox:latest\nFROM ${BASE} AS build\nARG WHO\nRUN echo "hello $WHO" > /greeting\nCOPY . /ctx/\nFROM build AS final\nRUN false\n';
    writeFileSync(join(dir, 'Dockerfile'), text);
    const r = await s.build({ contextDir: dir, dockerfileText: text, dockerfilePath: join(dir, 'Dockerfile'), tag: s.tag('target'), target: 'build', buildArgs: { WHO: s.suffix } });
    assert.equal(r.ok, true, r.error);
    assert.equal(await s.fileInImage(s.tag('target'), '/greeting'), `hello ${s.suffix}\n`);
    assert.equal(await s.pathInImage(s.tag('target'), '/ctx/kept.txt'), true);
    assert.equal(await s.pathInImage(s.tag('target'), '/ctx/secret.txt'), false);
    assert.equal(await s.pathInImage(s.tag('target'), '/ctx/.container-lineage.Dockerfile'), false);
    assert.equal(await s.pathInImage(s.tag('target'), '/ctx/Dockerfile'), true, 'as with docker build, the Dockerfile is part of the context');
    const img = await s.docker.getImage(s.tag('target')).inspect();
    assert.equal(img.Config.Labels?.['io.container-lineage.test'], 'buildkit', 'labels are a build input');
  });

  it('a failing RUN in the second stage puts the failure on its line; output shows the error; no tag', async () => {
    const text = 'FROM busybox:latest AS one\nRUN echo first\n\nFROM one\nWORKDIR /w\n# the failing step:\nRUN echo out; echo err-line >&2; exit 3\n';
    const rec = recorder();
    const tag = s.tag('fail-stage2');
    const r = await s.build({ contextDir: s.contextDir(), dockerfileText: text, tag, onProgress: rec.on });
    assert.equal(r.ok, false);
    assert.equal(r.cancelled, false);
    assert.match(r.error!, /exit code: 3/);
    assert.equal(r.failedStep, '[stage-1 2/2] RUN echo out; echo err-line >&2; exit 3');
    assert.equal(r.failedRange!.start.line, 6);
    assert.ok(rec.lines().some((l) => /^#\d+ \d+\.\d{3} err-line$/.test(l)), 'stderr of the step is shown');
    assert.ok(rec.lines().some((l) => /^#\d+ ERROR: .*exit code: 3/.test(l)));
    assert.equal(await s.tagExists(tag), false);
  });

  it('COPY of a missing file fails with the message and no tag; a failing build never moves an existing tag', async () => {
    const tag = s.tag('stable');
    const good = await s.build({ contextDir: s.contextDir(), dockerfileText: 'FROM busybox:latest\nLABEL v=1\n', tag });
    assert.equal(good.ok, true, good.error);
    const bad = await s.build({ contextDir: s.contextDir(), dockerfileText: 'FROM busybox:latest\nLABEL v=2\n\nCOPY missing-file /x\n', tag });
    assert.equal(bad.ok, false);
    assert.match(bad.error!, /missing-file/);
    assert.equal(bad.failedRange!.start.line, 3);
    assert.equal((await s.docker.getImage(tag).inspect()).Id, good.imageId);
  });

  it('parse errors name their line', async () => {
    const r = await s.build({ contextDir: s.contextDir(), dockerfileText: 'FROM busybox:latest\nRUN true\nFROB x\n', tag: s.tag('parse') });
    assert.equal(r.ok, false);
    assert.match(r.error!, /line 3/);
    assert.equal(r.failedRange!.start.line, 2);
  });

  it('what the 20.10 frontend cannot do is named, with what supports it: heredocs, COPY --link (before sending), # syntax= and a network BuildKit does not take (after the engine said no)', async () => {
    const heredoc = await s.build({ contextDir: s.contextDir(), dockerfileText: 'FROM busybox:latest\nRUN <<EOF\necho hi\nEOF\n', tag: s.tag('heredoc') });
    assert.equal(heredoc.ok, false);
    assert.match(heredoc.error!, /Heredocs .*line 2.* not supported by the Dockerfile frontend 1\.2 built into Docker Engine 20\.10.*Docker Engine 23\.0/);
    assert.equal(heredoc.failedRange!.start.line, 1);
    const link = await s.build({ contextDir: s.contextDir(), dockerfileText: 'FROM busybox:latest\nCOPY --link . /x\n', tag: s.tag('link') });
    assert.match(link.error!, /`--link` on COPY\/ADD \(line 2\).*Docker Engine 23\.0/);
    const syntax = await s.build({ contextDir: s.contextDir(), dockerfileText: '# syntax=docker/dockerfile:1\nFROM busybox:latest\nRUN true\n', tag: s.tag('syntax') });
    assert.equal(syntax.ok, false);
    assert.match(syntax.error!, /`# syntax=docker\/dockerfile:1` directive \(line 1\) makes the engine fetch that frontend image/);
    assert.ok(syntax.engineError, 'the engine\'s own message is kept');
    assert.equal(syntax.failedRange!.start.line, 0);
    const network = await s.build({ contextDir: s.contextDir(), dockerfileText: 'FROM busybox:latest\nRUN true\n', tag: s.tag('network'), networkMode: 'bridge' });
    assert.match(network.error!, /BuildKit runs RUN steps only with the none, host or default network, not "bridge"/);
    assert.match(network.engineError!, /network mode "bridge" not supported by buildkit/);
    for (const t of ['heredoc', 'link', 'syntax', 'network']) assert.equal(await s.tagExists(s.tag(t)), false);
  });

  it('cancel during a long RUN: no tag, the step\'s process is gone, no cache mount held', async () => {
    const marker = `cl-cancel-${s.suffix}`;
    const id = `cl-cancel-cache-${s.suffix}`;
    cacheIds.push(id);
    const ac = new AbortController();
    const tag = s.tag('cancel');
    let sawOutput = false;
    const r = await s.build({
      contextDir: s.contextDir(),
      dockerfileText: `FROM busybox:latest\nRUN --mount=type=cache,id=${id},target=/cache echo started-${marker}; sleep 300 # ${marker}\n`,
      tag,
      signal: ac.signal,
      onProgress: (e) => {
        if (!sawOutput && e.kind === 'output' && e.line.includes(`started-${marker}`)) {
          sawOutput = true;
          setTimeout(() => ac.abort(), 300);
        }
      },
    });
    assert.equal(sawOutput, true, 'the RUN started');
    assert.equal(r.ok, false);
    assert.equal(r.cancelled, true);
    assert.equal(await s.tagExists(tag), false);
    let left: string[] = [];
    for (let i = 0; i < 50 && (left = processesWith(marker)).length > 0; i++) await new Promise((res) => setTimeout(res, 200));
    assert.deepEqual(left, [], 'nothing of the build keeps running');
    // The engine releases the step's mounts as the cancelled solve unwinds (within seconds).
    const heldNow = async () => (await buildCache()).filter((c) => c.InUse && (c.Description?.includes(marker) || c.Description?.includes(id)));
    let held = await heldNow();
    for (let i = 0; i < 50 && held.length > 0; i++) {
      await new Promise((res) => setTimeout(res, 200));
      held = await heldNow();
    }
    assert.deepEqual(held.map((c) => `${c.Type} ${c.Description}`), []);
  });

  it('a RUN that prints nothing for 120 s completes under BuildKit', async function () {
    this.timeout(300_000);
    const r = await s.build({ contextDir: s.contextDir(), dockerfileText: `FROM busybox:latest\nRUN sleep 120 # ${s.suffix}\n`, tag: s.tag('sleep120'), noCache: true });
    assert.equal(r.ok, true, r.error);
    assert.ok(r.durations.totalMs >= 120_000);
  });

  it('a BuildKit-built child sits under its base in the lineage, a LABEL-only child under its parent by history (BuildKit records no Parent)', async () => {
    const parent = await s.build({ contextDir: s.contextDir(), dockerfileText: `FROM busybox:latest\nRUN echo parent-${s.suffix} > /p\n`, tag: s.tag('parent') });
    assert.equal(parent.ok, true, parent.error);
    const child = await s.build({ contextDir: s.contextDir(), dockerfileText: `FROM ${s.tag('parent')}\nRUN echo child > /c\n`, tag: s.tag('child') });
    const labelOnly = await s.build({ contextDir: s.contextDir(), dockerfileText: `FROM ${s.tag('parent')}\nLABEL only=${s.suffix}\n`, tag: s.tag('label-only') });
    assert.equal(child.ok && labelOnly.ok, true, `${child.error} ${labelOnly.error}`);
    for (const r of [child, labelOnly]) assert.equal((await s.docker.getImage(r.imageId!).inspect()).Parent, '', 'BuildKit leaves Parent empty');
    const forest = buildLineage(await new ImageCatalog().listImages(s.docker));
    const c = forest.byId.get(child.imageId!)!;
    assert.equal(c.parent?.image.id, parent.imageId);
    assert.equal(c.rule, 'layer-prefix');
    const l = forest.byId.get(labelOnly.imageId!)!;
    assert.equal(l.parent?.image.id, parent.imageId);
    assert.equal(l.rule, 'same-layers-history');
    assert.equal(forest.byId.get(parent.imageId!)!.parent?.image.repoTags.includes('busybox:latest'), true);
  });
});

/**
 * The classic builder on the real engine (`containerLineage.build.builder: classic`): builds
 * from unsaved text with .dockerignore, failures from the stream with the failing line, no tag
 * on failure or cancel, no socket timeout; and commit-as-child.
 */
import * as assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { buildRequestTimeouts, clientWithoutTimeouts } from '../../src/engine/builders/request';
import { INJECTED_DOCKERFILE_NAME, packBuildContext } from '../../src/engine/context';
import { commitContainer, validateCommitChanges } from '../../src/engine/commit';
import { BuildSuite, LABEL } from './buildHelpers';
import { runBuild, type BuildRequest } from '../../src/engine/builders';

describe('classic builder on the real engine (engine/builders/classic, engine/commit)', function () {
  this.timeout(120_000);
  const s = new BuildSuite('build');
  const labels = s.labels;
  const suffix = s.suffix;
  const repo = s.repo;
  let docker: Docker;
  let baseId: string;
  const build = (req: BuildRequest) => s.build({ builder: 'classic', ...req });
  const contextDir = () => s.contextDir();
  const tagExists = (t: string) => s.tagExists(t);
  const pathInImage = (i: string, p: string) => s.pathInImage(i, p);
  const outputOf = (sink: { text: string }) => (e: { kind: string; line?: string }) => {
    if (e.kind === 'output') sink.text += `${e.line}\n`;
  };

  before(async () => {
    await s.connect();
    docker = s.docker;
    baseId = (await docker.getImage('busybox:latest').inspect()).Id;
  });

  after(() => s.cleanup());

  it('builds a child from unsaved text (not the file on disk), honouring .dockerignore that excludes a big folder and the Dockerfile', async () => {
    const dir = contextDir();
    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nRUN echo this-is-the-file-on-disk > /which\n');
    writeFileSync(join(dir, '.dockerignore'), 'big\nDockerfile\n');
    mkdirSync(join(dir, 'big/nested'), { recursive: true });
    writeFileSync(join(dir, 'big/nested/blob.bin'), Buffer.alloc(5 * 1024 * 1024, 1));
    mkdirSync(join(dir, 'app/sub'), { recursive: true });
    writeFileSync(join(dir, 'app/sub/hello.txt'), 'hello');
    const buffer = 'FROM busybox\nRUN echo from-the-buffer > /which\nCOPY . /ctx/\n';
    const tag = `${repo}:child`;
    let output = '';
    const sink = { text: '' };
    const r = await build({ contextDir: dir, dockerfileText: buffer, tag, onProgress: outputOf(sink) });
    output = sink.text;
    assert.equal(r.ok, true, r.error);
    assert.equal(r.tag, tag);
    assert.equal(r.builder, 'classic');
    assert.match(output, /^Builder: classic builder \(classic builder requested/m);
    assert.match(output, /Step 2\/4 : RUN echo from-the-buffer/);
    assert.ok(r.context!.excluded >= 2);
    const img = await docker.getImage(tag).inspect();
    assert.equal(img.Id, r.imageId);
    assert.equal(img.Parent !== '', true, 'classic builder records Parent');
    assert.equal(img.Config.Labels?.[LABEL], 'build');
    assert.equal(await pathInImage(tag, '/ctx/app/sub/hello.txt'), true);
    assert.equal(await pathInImage(tag, '/ctx/big'), false, 'excluded folder is not in the image');
    assert.equal(await pathInImage(tag, '/ctx/Dockerfile'), false, 'the Dockerfile listed in .dockerignore is not copied');
    assert.equal(await pathInImage(tag, '/ctx/.container-lineage.Dockerfile'), false, 'the injected Dockerfile is not copied');
    // the image reflects the buffer: run nothing, read /which from the image
    const c = await docker.createContainer({ Image: tag, Cmd: ['true'], Labels: labels });
    s.keepContainer(c.id);
    const tar = await c.getArchive({ path: '/which' });
    const chunks: Buffer[] = [];
    for await (const ch of tar as AsyncIterable<Buffer>) chunks.push(ch);
    assert.match(Buffer.concat(chunks).toString('latin1'), /from-the-buffer/);
    // layer chain extends busybox's
    const base = await docker.getImage(baseId).inspect();
    assert.deepEqual(img.RootFS.Layers!.slice(0, base.RootFS.Layers!.length), base.RootFS.Layers);
  });

  it('COPY missing-file: failure detected from the stream (HTTP 200), message kept, step maps to its line, no tag', async () => {
    const dir = contextDir();
    const text = 'FROM busybox\nRUN echo ok\n\n# copy something that is not there\nCOPY missing-file /x\nRUN echo never\n';
    const tag = `${repo}:missing`;
    const r = await build({ contextDir: dir, dockerfileText: text, tag });
    assert.equal(r.ok, false);
    assert.equal(r.cancelled, false);
    assert.match(r.error!, /missing-file/);
    assert.match(r.failedStep!, /^Step 3\/\d : COPY missing-file/);
    assert.equal(r.failedRange!.start.line, 4);
    assert.equal(await tagExists(tag), false);
  });

  it('failing RUN: failure detected, no tag left, step line known', async () => {
    const dir = contextDir();
    const text = 'FROM busybox\nRUN echo step-two\nRUN echo boom && exit 3\n';
    const tag = `${repo}:failrun`;
    const r = await build({ contextDir: dir, dockerfileText: text, tag });
    assert.equal(r.ok, false);
    assert.match(r.error!, /non-zero code: 3/);
    assert.equal(r.failedRange!.start.line, 2);
    assert.equal(await tagExists(tag), false);
  });

  it('a failing build never moves an existing tag', async () => {
    const dir = contextDir();
    const tag = `${repo}:stable`;
    const good = await build({ contextDir: dir, dockerfileText: 'FROM busybox\nLABEL v=1\n', tag });
    assert.equal(good.ok, true, good.error);
    const bad = await build({ contextDir: dir, dockerfileText: 'FROM busybox\nLABEL v=2\nRUN exit 1\n', tag });
    assert.equal(bad.ok, false);
    assert.equal((await docker.getImage(tag).inspect()).Id, good.imageId);
  });

  it('parse errors name the line', async () => {
    const r = await build({ contextDir: contextDir(), dockerfileText: 'FROM busybox\nFROB x\n', tag: `${repo}:parse` });
    assert.equal(r.ok, false);
    assert.equal(r.failedRange!.start.line + 1, 2);
  });

  it('FROM from a build arg, and a target stage', async () => {
    const dir = contextDir();
    const text = 'ARG BASE\nFROM ${BASE} AS first\nLABEL stage=first\nFROM first AS second\nLABEL stage=second\n';
    const tag = `${repo}:arg`;
    const r = await build({ contextDir: dir, dockerfileText: text, tag, buildArgs: { BASE: 'busybox:latest' }, target: 'first' });
    assert.equal(r.ok, true, r.error);
    const img = await docker.getImage(tag).inspect();
    assert.equal(img.Config.Labels?.stage, 'first');
  });

  it('cancel during a long build aborts the request: no tag, no step container left', async () => {
    const dir = contextDir();
    const marker = `cl-cancel-${suffix}`;
    const tag = `${repo}:cancel`;
    const ac = new AbortController();
    let sawRun = false;
    const p = build({
      contextDir: dir,
      dockerfileText: `FROM busybox\nRUN echo started; sleep 300 # ${marker}\n`,
      tag,
      signal: ac.signal,
      onProgress: (e) => {
        if (!sawRun && e.kind === 'output' && e.line.includes('Running in')) {
          sawRun = true;
          setTimeout(() => ac.abort(), 300);
        }
      },
    });
    const r = await p;
    assert.equal(r.ok, false);
    assert.equal(r.cancelled, true);
    assert.equal(sawRun, true);
    assert.equal(await tagExists(tag), false);
    const left = (await docker.listContainers({ all: true })).filter((c) => c.Command.includes(marker));
    assert.deepEqual(left.map((c) => `${c.Id} ${c.State}`), []);
  });

  it('cancel while the context is still uploading returns at once (the walk does not wait for the engine forever)', async () => {
    const dir = contextDir();
    const fd = openSync(join(dir, 'big.bin'), 'w');
    ftruncateSync(fd, 300 * 1024 * 1024); // sparse: reads as zeros, costs no disk
    closeSync(fd);
    const ac = new AbortController();
    let output = '';
    setTimeout(() => ac.abort(), 50);
    const sink = { text: '' };
    const r = await build({ contextDir: dir, dockerfileText: 'FROM busybox\nCOPY big.bin /big.bin\n', tag: `${repo}:upload-cancel`, signal: ac.signal, onProgress: (e) => e.kind === 'output' && !e.line.startsWith('Builder:') && outputOf(sink)(e) });
    output = sink.text;
    assert.equal(r.ok, false);
    assert.equal(r.cancelled, true);
    assert.equal(output, '', 'cancelled before the engine started the build');
    assert.equal(await tagExists(`${repo}:upload-cancel`), false);
  });

  it('no socket timeout on the build stream: a silent RUN outlasts the client timeout', async () => {
    // The default client has none (docker-modem only sets one from DOCKER_CLIENT_TIMEOUT or
    // options); a client configured with 1.5 s would kill a silent 4 s RUN without the build's
    // timeout-free view.
    const timed = new Docker({ ...(docker.modem as unknown as { socketPath?: string; host?: string; port?: number; protocol?: 'http' | 'https' }), timeout: 1500, connectionTimeout: 1500 } as Docker.DockerOptions);
    assert.equal((timed.modem as unknown as { timeout: number }).timeout, 1500);
    assert.deepEqual(buildRequestTimeouts(timed), { timeout: undefined, connectionTimeout: undefined });
    assert.equal((clientWithoutTimeouts(timed) as unknown as { modem: { socketPath: unknown } }).modem.socketPath, (timed.modem as unknown as { socketPath: unknown }).socketPath);
    const r = await runBuild(timed, { builder: 'classic', engine: s.info, contextDir: contextDir(), dockerfileText: `FROM busybox\nRUN sleep 4 # ${suffix}\n`, tag: `${repo}:silent`, labels, networkMode: 'none', noCache: true });
    assert.equal(r.ok, true, r.error);
    // and the same request through the timed client itself breaks off: the guard is what helps
    const packed = packBuildContext({ contextDir: contextDir(), dockerfileText: `FROM busybox\nRUN sleep 4 # raw-${suffix}\n` });
    const raw = await timed.buildImage(packed.stream as unknown as NodeJS.ReadableStream, { dockerfile: INJECTED_DOCKERFILE_NAME, version: '1', networkmode: 'none', nocache: true, labels } as unknown as Docker.ImageBuildOptions);
    const outcome = await new Promise<string>((resolve) => {
      let text = '';
      raw.on('data', (c: Buffer) => (text += c.toString()));
      raw.on('error', (e: Error) => resolve(`error: ${e.message}`));
      raw.on('aborted', () => resolve('aborted'));
      raw.on('end', () => resolve(/Successfully built/.test(text) ? 'completed' : 'ended early'));
    });
    assert.notEqual(outcome, 'completed');
  });

  // The literal case (two minutes of silence; the test above proves the mechanism with a
  // client timeout shorter than the silence). CL_BUILD_SKIP_SLEEP_120=1 skips it for quick runs.
  (process.env.CL_BUILD_SKIP_SLEEP_120 === '1' ? it.skip : it)('RUN sleep 120 with no output completes', async function () {
    this.timeout(300_000);
    const r = await build({ contextDir: contextDir(), dockerfileText: `FROM busybox\nRUN sleep 120 # ${suffix}\n`, tag: `${repo}:sleep120`, noCache: true });
    assert.equal(r.ok, true, r.error);
    assert.ok(r.durations.totalMs >= 120_000);
  });

  it('commit a customised container as a child: Parent is the container image, changes applied', async () => {
    assert.equal(validateCommitChanges(['CMD ["sh"]', 'ENV A=1']), undefined);
    assert.match(validateCommitChanges(['RUN x'])!, /cannot be applied/);
    const c = await docker.createContainer({ Image: 'busybox:latest', Cmd: ['sh', '-c', 'echo custom > /custom && sleep 60'], Labels: labels, HostConfig: { NetworkMode: 'none' } });
    s.keepContainer(c.id);
    await c.start();
    const tag = `${repo}:committed`;
    const r = await commitContainer(docker, {
      container: c.id,
      tag,
      comment: 'customised by hand',
      author: 'tester',
      changes: ['CMD ["cat", "/custom"]', `LABEL ${LABEL}=build`],
      pause: true,
    });
    assert.equal(r.parentId, baseId);
    const img = await docker.getImage(tag).inspect();
    assert.equal(img.Id, r.imageId);
    assert.equal(img.Parent, baseId);
    assert.equal(img.Comment, 'customised by hand');
    assert.equal(img.Author, 'tester');
    assert.deepEqual(img.Config.Cmd, ['cat', '/custom']);
    assert.equal(img.Config.Labels?.[LABEL], 'build');
    await assert.rejects(commitContainer(docker, { container: `no-such-${suffix}` }), /no such container/i);
  });
});

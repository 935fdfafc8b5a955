/**
 * Builds on both real engines, one parameterised suite: the editor's build path
 * (`buildWithProvenance` over `runBuild`, builder `auto`) on the Docker engine (BuildKit) and on
 * the private Podman of scripts/podman.sh (Buildah through its Docker-compatible `/build`).
 *
 * On Podman everything here runs, RUN steps included: Podman cannot START a container in this
 * sandbox (runc may not set RLIMIT_NPROC), but Buildah runs a RUN step itself without setting
 * that limit (measured on Podman 4.3.1 / Buildah 1.28.2). What Podman cannot do is stop a RUN
 * that runs: a cancel aborts the request and removes the step's working container, and the
 * step's process runs on until it exits (the cancel test checks what is left, not the process).
 * Everything made here carries `io.container-lineage.test=build-engines` and a unique repo.
 */
import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildProgressEvent } from '../../src/engine/builders';
import { listWorkingContainers } from '../../src/engine/builders/buildah';
import { buildWithProvenance, type ProvenanceBuildRequest } from '../../src/engine/provenanceBuild';
import { BuildSuite, LABEL } from './buildHelpers';
import { ENGINES } from './engines';

const BASE_NAME = 'org.opencontainers.image.base.name';
const BASE_DIGEST = 'org.opencontainers.image.base.digest';

for (const target of ENGINES) {
  const podman = target.kind === 'podman';
  describe(`builds on ${target.label} (auto builder: ${podman ? 'Buildah' : 'BuildKit'})`, function () {
    this.timeout(180_000);
    const s = new BuildSuite('build-engines');
    let baseId: string;

    /** A build the way the editor runs it (base labels added), with the suite's labels, no network. */
    async function build(req: Omit<ProvenanceBuildRequest, 'contextDir'> & { contextDir?: string }) {
      const lines: string[] = [];
      const steps: Array<Extract<BuildProgressEvent, { kind: 'step' }>> = [];
      const r = await buildWithProvenance(
        s.docker,
        {
          contextDir: req.contextDir ?? s.contextDir(),
          labels: s.labels,
          networkMode: 'none',
          engine: s.info,
          ...req,
          onProgress: (e) => {
            if (e.kind === 'output') lines.push(e.line);
            if (e.kind === 'step') steps.push(e);
            req.onProgress?.(e);
          },
        },
        undefined,
      );
      s.remember(r);
      return { r, output: lines.join('\n'), steps };
    }

    before(async () => {
      await s.connect(target);
      baseId = (await s.docker.getImage('busybox:latest').inspect()).Id;
    });
    after(() => s.cleanup());

    it('builds (RUN, COPY, labels), tags only after success, writes the OCI base labels, maps its steps to the lines', async () => {
      const dir = s.contextDir();
      writeFileSync(join(dir, 'hello.txt'), `hello ${s.suffix}\n`);
      const tag = s.tag('ok');
      const text = `FROM busybox:latest\n# a comment\nCOPY hello.txt /hello.txt\nRUN echo "built-""${s.suffix}" > /built.txt && cat /built.txt\nENV A=1 \\\n    B=2\nLABEL org.example.role=${s.suffix}\n`;
      const { r, output, steps } = await build({ contextDir: dir, dockerfileText: text, tag });
      assert.equal(r.ok, true, `${r.error}\n${output}`);
      assert.equal(r.builder, podman ? 'buildah' : 'buildkit');
      assert.equal(r.tag, tag);
      assert.match(output, podman ? /^Builder: Buildah \(Buildah: Podman \d/m : /^Builder: BuildKit \(/m);
      // the RUN ran, and its output is in the build output
      assert.match(output, new RegExp(`^(#\\d+ \\d+\\.\\d+ )?built-${s.suffix}$`, 'm'));
      if (podman) {
        assert.match(output, /^STEP 3\/\d+: RUN echo "built-""/m);
        // Podman prints "Successfully tagged" only for a `t` it was sent: it never was.
        assert.doesNotMatch(output, /Successfully tagged/);
        // every Dockerfile step reported, by its place in the stage (the labels= LABEL steps follow)
        assert.deepEqual(steps.slice(0, 5).map((e) => e.done), [0, 1, 2, 3, 4]);
        assert.deepEqual(steps.slice(0, 5).map((e) => /^STEP \d+\/\d+: (\w+)/.exec(e.name)?.[1]), ['FROM', 'COPY', 'RUN', 'ENV', 'LABEL']);
      }
      const img = await s.docker.getImage(tag).inspect();
      assert.equal(img.Id, r.imageId);
      assert.equal(img.Config.Labels?.[LABEL], 'build-engines');
      assert.equal(img.Config.Labels?.['org.example.role'], s.suffix);
      assert.equal(img.Config.Labels?.[BASE_DIGEST], baseId);
      assert.match(img.Config.Labels?.[BASE_NAME] ?? '', /busybox:latest$/);
      assert.deepEqual(img.Config.Env?.filter((e) => /^[AB]=/.test(e)), ['A=1', 'B=2']);
      assert.equal(await s.fileInImage(tag, '/hello.txt'), `hello ${s.suffix}\n`);
      assert.equal(await s.fileInImage(tag, '/built.txt'), `built-${s.suffix}\n`);
      const base = await s.docker.getImage(baseId).inspect();
      assert.deepEqual(img.RootFS.Layers!.slice(0, base.RootFS.Layers!.length), base.RootFS.Layers, 'the layers extend the base');
    });

    it('COPY of a missing file in the second stage fails on its line, leaves no tag and never moves an existing one', async () => {
      const tag = s.tag('copy');
      const good = await build({ dockerfileText: 'FROM busybox:latest\nLABEL v=1\n', tag });
      assert.equal(good.r.ok, true, good.r.error);
      const text = 'FROM busybox:latest AS one\nENV X=1\n\nFROM busybox:latest\n# nothing to copy\nCOPY missing-file /x\nLABEL never=reached\n';
      const bad = await build({ dockerfileText: text, tag });
      assert.equal(bad.r.ok, false);
      assert.equal(bad.r.cancelled, false);
      assert.match(bad.r.error!, /missing-file/);
      assert.equal(bad.r.failedRange!.start.line, 5);
      if (podman) assert.match(bad.r.failedStep!, /^\[2\/2\] STEP 2\/\d+: COPY missing-file \/x$/);
      assert.equal((await s.docker.getImage(tag).inspect()).Id, good.r.imageId, 'the tag still names the good image');
      const fresh = s.tag('copy-fresh');
      const again = await build({ dockerfileText: text, tag: fresh });
      assert.equal(again.r.ok, false);
      assert.equal(await s.tagExists(fresh), false);
    });

    it('a failing RUN fails on its line (continuation lines included) with the exit code, no tag', async () => {
      const tag = s.tag('run');
      const r = (await build({ dockerfileText: 'FROM busybox:latest\nENV X=1\nRUN echo about to fail && \\\n    exit 3\nLABEL never=reached\n', tag })).r;
      assert.equal(r.ok, false);
      assert.match(r.error!, podman ? /exit status 3/ : /exit code: 3/);
      assert.equal(r.failedRange!.start.line, 2);
      assert.equal(r.failedRange!.end.line, 3);
      assert.equal(await s.tagExists(tag), false);
    });

    it('a target stage from a build-arg base: only the stages up to it, its own labels', async () => {
      const tag = s.tag('target');
      const text = 'ARG BASE\nFROM ${BASE} AS first\nLABEL stage=first\nFROM first AS second\nLABEL stage=second\nFROM busybox:latest AS third\nLABEL stage=third\n';
      const { r } = await build({ dockerfileText: text, tag, buildArgs: { BASE: 'busybox:latest' }, target: 'second' });
      assert.equal(r.ok, true, r.error);
      const img = await s.docker.getImage(tag).inspect();
      assert.equal(img.Config.Labels?.stage, 'second');
      assert.equal(img.Config.Labels?.[BASE_DIGEST], baseId, 'the external base of the target, through the stage link');
    });

    it('a context of 2,000 small files and a large one (past the read-ahead threshold) arrives whole: counts and checksums seen by RUN', async () => {
      const dir = s.contextDir();
      const { createHash } = await import('node:crypto');
      const sums: string[] = [];
      for (let d = 0; d < 20; d++) {
        mkdirSync(join(dir, `d${String(d).padStart(2, '0')}`));
        for (let f = 0; f < 100; f++) writeFileSync(join(dir, `d${String(d).padStart(2, '0')}`, `f${String(f).padStart(3, '0')}`), `${d}/${f} ${s.suffix} ${'x'.repeat((d * 100 + f) % 700)}\n`);
      }
      const big = Buffer.alloc(3 * 1024 * 1024 + 5);
      for (let k = 0; k < big.length; k++) big[k] = (k * 31) & 0xff;
      writeFileSync(join(dir, 'd10', 'big.bin'), big);
      for (const name of ['d00/f000', 'd09/f099', 'd19/f050']) sums.push(createHash('md5').update(readFileSync(join(dir, name))).digest('hex'));
      const bigSum = createHash('md5').update(big).digest('hex');
      const text = 'FROM busybox:latest\nCOPY . /ctx\nRUN find /ctx/d* -type f | wc -l && md5sum /ctx/d00/f000 /ctx/d09/f099 /ctx/d19/f050 /ctx/d10/big.bin\n';
      const { r, output } = await build({ contextDir: dir, dockerfileText: text, tag: s.tag('many') });
      assert.equal(r.ok, true, `${r.error}\n${output}`);
      assert.equal(r.context!.files, 2003, 'every file sent, the injected Dockerfile and .dockerignore included');
      assert.match(output, /^(#\d+ \d+\.\d+ )?\s*2001$/m, `the build saw 2,000 small files and the large one:\n${output}`);
      for (const [i, name] of ['d00/f000', 'd09/f099', 'd19/f050'].entries()) assert.match(output, new RegExp(`${sums[i]}  /ctx/${name}`));
      assert.match(output, new RegExp(`${bigSum}  /ctx/d10/big.bin`));
    });

    it('network none: a RUN step sees only the loopback interface', async () => {
      const { r, output } = await build({ dockerfileText: `FROM busybox:latest\nRUN echo "net-""${s.suffix}: $(ls /sys/class/net | tr '\\n' ,)"\n`, noCache: true });
      assert.equal(r.ok, true, r.error);
      assert.match(output, new RegExp(`net-${s.suffix}: lo,$`, 'm'));
    });

    it('heredocs are refused before anything is sent, naming the line (Buildah before 1.33, the 20.10 frontend)', async () => {
      const tag = s.tag('heredoc');
      const { r } = await build({ dockerfileText: 'FROM busybox:latest\nRUN <<EOF\necho hi\nEOF\n', tag });
      assert.equal(r.ok, false);
      assert.match(r.error!, podman ? /^Heredocs .*\(line 2\) is not supported by Buildah 1\.28\.\d+ in Podman 4\.3\.\d+; it needs Buildah 1\.33 or newer/ : /^Heredocs .*\(line 2\)/);
      assert.equal(r.failedRange!.start.line, 1);
      assert.equal(await s.tagExists(tag), false);
    });

    it('cancel during a RUN aborts the request: cancelled, no tag, nothing of the build left running in the engine\'s lists', async () => {
      const tag = s.tag('cancel');
      const ac = new AbortController();
      let sawRun = false;
      const before = podman ? new Set((await listWorkingContainers(s.docker)).map((c) => c.Id)) : new Set<string>();
      const { r, output } = await build({
        dockerfileText: `FROM busybox:latest\nENV C=${s.suffix}\nRUN echo "sleep""ing-${s.suffix}"; sleep 25\nLABEL never=reached\n`,
        tag,
        noCache: true,
        signal: ac.signal,
        onProgress: (e) => {
          if (!sawRun && e.kind === 'output' && new RegExp(`(^| )sleeping-${s.suffix}$`).test(e.line)) {
            sawRun = true;
            setTimeout(() => ac.abort(), 300);
          }
        },
      });
      assert.equal(sawRun, true, output);
      assert.equal(r.ok, false);
      assert.equal(r.cancelled, true);
      assert.equal(r.error, 'Build cancelled.');
      assert.equal(await s.tagExists(tag), false);
      if (podman) {
        assert.match(r.failedStep!, /^STEP 3\/\d+: RUN /);
        const left = (await listWorkingContainers(s.docker)).filter((c) => !before.has(c.Id));
        assert.deepEqual(left.map((c) => `${c.Id} ${c.Names?.join(',')}`), [], 'no Buildah working container of the build is left');
        assert.match(output, /Podman cannot stop a RUN step that is running/);
      }
      assert.deepEqual((await s.docker.listContainers({ all: true })).filter((c) => c.Labels?.[LABEL] === 'build-engines').map((c) => c.Id), []);
    });
  });
}

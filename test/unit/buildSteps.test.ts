import * as assert from 'node:assert/strict';
import { instructionForStep, instructionForVertex, numberedInstructions, parseVertexName, stageLabel } from '../../src/core/buildSteps';
import { parseDockerfile } from '../../src/core/dockerfile';

describe('build steps → Dockerfile instructions (core/buildSteps)', () => {
  it('parses BuildKit vertex names: stage label, platform prefix, zero-padded index', () => {
    assert.deepEqual(parseVertexName('[stage-1 2/4] RUN make'), { platform: undefined, stage: 'stage-1', index: 2, total: 4, instruction: 'RUN make', keyword: 'RUN' });
    assert.deepEqual(parseVertexName('[ 3/12] COPY . /x'), { platform: undefined, stage: undefined, index: 3, total: 12, instruction: 'COPY . /x', keyword: 'COPY' });
    assert.equal(parseVertexName('[linux/amd64 build 1/2] FROM docker.io/library/busybox:latest')!.platform, 'linux/amd64');
    assert.equal(parseVertexName('[linux/arm64 1/2] FROM x')!.stage, undefined);
    assert.equal(parseVertexName('[internal] load metadata for docker.io/library/busybox:latest'), undefined);
    assert.equal(parseVertexName('exporting to image'), undefined);
  });

  it('numbers per stage like the frontend: FROM of an image, RUN, COPY, ADD, WORKDIR; not ENV/LABEL; no FROM of a stage or scratch', () => {
    const m = parseDockerfile('FROM busybox AS base\nENV A=1\nRUN a\nWORKDIR /w\nLABEL x=y\nCOPY f /f\nFROM base\nRUN b\nADD g /g\nFROM scratch AS s\nCOPY --from=base /f /f\n');
    assert.deepEqual(m.stages.map((s) => numberedInstructions(s).map((i) => `${i.keyword}@${i.range.start.line}`)), [
      ['FROM@0', 'RUN@2', 'WORKDIR@3', 'COPY@5'],
      ['RUN@7', 'ADD@8'],
      ['COPY@10'],
    ]);
    assert.equal(instructionForVertex(m, '[base 4/4] COPY f /f')!.range.start.line, 5);
    assert.equal(instructionForVertex(m, '[stage-1 2/2] ADD g /g')!.range.start.line, 8);
    assert.equal(instructionForVertex(m, '[s 1/1] COPY --from=base /f /f')!.range.start.line, 10);
    assert.equal(instructionForVertex(m, '[stage-1 2/2] RUN other'), undefined, 'the keyword must agree');
    assert.equal(instructionForVertex(m, '[nope 1/1] RUN x'), undefined);
  });

  it('the stage label is left out only when the build has one source: one stage without cache mounts or --from images', () => {
    const one = parseDockerfile('FROM busybox\nRUN a\n');
    assert.equal(stageLabel(one, one.stages[0]!), undefined);
    assert.equal(instructionForVertex(one, '[2/2] RUN a')!.range.start.line, 1);
    for (const text of ['FROM busybox\nRUN --mount=type=cache,target=/c a\n', 'FROM busybox\nCOPY --from=alpine /x /x\n', 'FROM busybox\nRUN --mount=from=alpine,target=/a a\n']) {
      const m = parseDockerfile(text);
      assert.equal(stageLabel(m, m.stages[0]!), 'stage-0', text);
      assert.equal(instructionForVertex(m, `[stage-0 2/2] ${m.instructions[1]!.line}`)!.range.start.line, 1);
    }
    const named = parseDockerfile('FROM busybox AS Build\nRUN --mount=type=bind,target=/x a\nFROM build\nRUN --mount=type=cache,from=build,target=/c b\n');
    assert.deepEqual(named.stages.map((s) => stageLabel(named, s)), ['build', 'stage-1']);
  });

  it('classic builder "Step N/M : …" lines map to instructions (meta ARGs count)', () => {
    const m = parseDockerfile('ARG B=busybox\nFROM $B AS one\nRUN echo \\\n  hi\nFROM one\nCOPY missing-file /x\n');
    assert.equal(instructionForStep(m, 'Step 1/5 : ARG B=busybox')!.range.start.line, 0);
    assert.equal(instructionForStep(m, 'Step 3/5 : RUN echo   hi')!.range.start.line, 2);
    assert.equal(instructionForStep(m, 'Step 5/5 : COPY missing-file /x')!.range.start.line, 5);
    assert.equal(instructionForStep(m, 'Step 5/5 : RUN other'), undefined);
    assert.equal(instructionForStep(m, ' ---> Running in abc'), undefined);
  });
});

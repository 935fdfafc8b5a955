import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDockerfile } from '../../src/core/dockerfile';
import { buildahQuery } from '../../src/engine/builders/buildah';
import {
  buildahNetworkQuery,
  BuildahStreamInterpreter,
  failedInstructionText,
  instructionNamedInError,
  instructionForBuildahStep,
  parseBuildahStep,
  type BuildahMessage,
} from '../../src/core/buildahStream';

/** Streams recorded from podman 4.3.1 / Buildah 1.28.2 by fixtures/buildah/record.ts. */
const FIXTURES = join(__dirname, 'fixtures', 'buildah');

function replay(name: string) {
  const dockerfile = readFileSync(join(FIXTURES, `${name}.Dockerfile`), 'utf8');
  const model = parseDockerfile(dockerfile);
  const lines: string[] = [];
  const it = new BuildahStreamInterpreter((l) => lines.push(l));
  for (const l of readFileSync(join(FIXTURES, `${name}.jsonl`), 'utf8').split('\n')) if (l.trim()) it.message(JSON.parse(l) as BuildahMessage);
  it.end();
  /** 0-based first line of each step's instruction (undefined: not in the file). */
  const stepLines = it.steps.map((s) => instructionForBuildahStep(model, s)?.range.start.line);
  const failedLine = it.failedStep && instructionForBuildahStep(model, it.failedStep)?.range.start.line;
  return { it, model, lines, stepLines, failedLine };
}

describe('Buildah build stream (core/buildahStream, recorded from Podman 4.3.1)', () => {
  it('parses step lines with and without a stage prefix', () => {
    assert.deepEqual(parseBuildahStep('[1/2] STEP 3/5: COPY --from=build /a /b'), { stage: 1, stages: 2, index: 3, total: 5, keyword: 'COPY', line: '[1/2] STEP 3/5: COPY --from=build /a /b' });
    assert.deepEqual(parseBuildahStep('STEP 2/2: run make\n'), { index: 2, total: 2, keyword: 'RUN', line: 'STEP 2/2: run make' });
    for (const no of ['Step 1/2 : FROM x', '--> 3b0d51237c6', 'COMMIT', '[2/2] COMMIT', 'Successfully built 5faa346635ee']) assert.equal(parseBuildahStep(no), undefined, no);
  });

  it('multi-stage success: every step mapped to its line, the labels LABEL step to none, the image ID from aux, step images without the final one', () => {
    const { it, stepLines, lines } = replay('multistage-ok');
    assert.equal(it.failed, false);
    assert.equal(it.imageId, 'sha256:b555cf1451b89093a0ed8dce6dcb8cc8e8148c26266790b59930512fb4384f34');
    // FROM, ENV, COPY | FROM, COPY --from, LABEL, ENV (two lines, from line 8), the labels= LABEL (no line).
    assert.deepEqual(stepLines, [0, 1, 2, 4, 6, 7, 8, undefined]);
    assert.deepEqual(it.stepImages, ['d3005865ad6', 'c7613affebb', 'fcd323a37cb', '72d039aedde', '2aae1ba1614']);
    assert.ok(lines.includes('[2/2] STEP 4/5: ENV A=1     B=2'));
  });

  it('a failing RUN: the error from errorDetail, the failed step is the RUN line, the instruction named in the error matches it', () => {
    const { it, failedLine, model } = replay('run-fails');
    assert.equal(it.failed, true);
    assert.match(it.error!, /building at STEP "RUN echo about to fail && exit 3": while running runtime: exit status 3/);
    assert.equal(failedLine, 2);
    assert.equal(failedInstructionText(it.error!), 'RUN echo about to fail && exit 3');
    assert.equal(`RUN ${model.instructions[2]!.text}`, failedInstructionText(it.error!));
    assert.equal(it.imageId, undefined);
    assert.deepEqual(it.stepImages, ['dd636078bf3'], 'the ENV step image stays as cache');
  });

  it('COPY of a missing file in the second stage maps to that COPY; a Dockerfile error to its step; a missing base to its FROM', () => {
    const copy = replay('copy-missing');
    assert.equal(copy.failedLine, 2);
    assert.match(copy.it.error!, /copier: stat: "\/missing\.txt": no such file or directory/);
    const parse = replay('parse-error');
    assert.equal(parse.failedLine, 1);
    assert.match(parse.it.error!, /ENV requires at least one argument/);
    const base = replay('base-missing');
    assert.equal(base.failedLine, 0);
    assert.match(base.it.error!, /cl-buildah-rec\/not-there:1/);
  });

  it('a target stage: the stages up to it are built and numbered in file order; FROM <stage> shows the stage image ID', () => {
    const { it, stepLines } = replay('target');
    assert.equal(it.failed, false);
    assert.deepEqual(it.steps.map((s) => [s.stage, s.stages]), [[1, 2], [1, 2], [2, 2], [2, 2]]);
    assert.deepEqual(stepLines, [0, 1, 3, 4]);
    assert.match(it.steps[2]!.line, /^\[2\/2\] STEP 1\/2: FROM [0-9a-f]{64} AS second$/);
  });

  it('an aborted build: the stream just stops in its RUN (no error, no image): the builder calls it cancelled', () => {
    const { it, failedLine } = replay('cancel');
    assert.equal(it.failed, false);
    assert.equal(it.imageId, undefined);
    assert.equal(it.step?.keyword, 'RUN');
    assert.equal(failedLine, undefined);
    assert.deepEqual(it.stepImages, ['dd636078bf38899422601a3960bfd317968bcd120c141b55a3b1175cbd3d7edb'], 'the cached ENV step once');
  });

  it('text split across messages is joined into lines; an empty error still fails the build', () => {
    const lines: string[] = [];
    const it = new BuildahStreamInterpreter((l) => lines.push(l));
    it.message({ stream: 'STEP 1/2: FR' });
    it.message({ stream: 'OM busybox\nSTEP 2/2: ENV' });
    it.message({ stream: ' A=1\n' });
    it.message({ errorDetail: { message: '' } });
    assert.deepEqual(it.steps.map((s) => s.keyword), ['FROM', 'ENV']);
    assert.equal(it.failed, true);
    assert.equal(it.failedStep?.keyword, 'ENV');
  });
});

describe('Buildah request and error mapping (core/buildahStream)', () => {
  it('network modes as Podman\'s compat /build understands them: none disables the network in its own namespace, host shares the host\'s, a name is refused', () => {
    assert.deepEqual(buildahNetworkQuery(undefined), { ok: true, query: {} });
    assert.deepEqual(buildahNetworkQuery('default'), { ok: true, query: {} });
    assert.deepEqual(buildahNetworkQuery('none'), { ok: true, query: { networkmode: 'NetworkDisabled', nsoptions: '[{"Name":"network","Host":false}]' } });
    assert.deepEqual(buildahNetworkQuery('host'), { ok: true, query: { nsoptions: '[{"Name":"network","Host":true}]' } });
    const named = buildahNetworkQuery('my-net');
    assert.ok(!named.ok && /not "my-net".*none, host or empty/.test(named.message));
  });

  it('the request: rm=1&forcerm=1, never t (the tag comes after success), the network from the mode', () => {
    const q = buildahQuery({ contextDir: '/c', dockerfileText: 'FROM busybox\n', tag: 'a:1', target: 't', buildArgs: { A: '1' }, labels: { l: 'v' }, networkMode: 'none', noCache: true }, buildahNetworkQuery('none').ok ? { networkmode: 'NetworkDisabled' } : {});
    assert.deepEqual(q, { rm: true, forcerm: true, target: 't', buildargs: { A: '1' }, labels: { l: 'v' }, nocache: true, networkmode: 'NetworkDisabled' });
    assert.equal('t' in q, false);
  });

  it('an error that names its instruction maps to it when no step line came (whitespace as Buildah joins continuation lines)', () => {
    const model = parseDockerfile('FROM busybox\nCOPY a \\\n   /b\nRUN x\n');
    assert.equal(instructionNamedInError(model, 'building at STEP "COPY a /b": copier: stat: "/a": no such file or directory')?.range.start.line, 1);
    assert.equal(instructionNamedInError(model, 'building at STEP "RUN y": exit status 1'), undefined);
    assert.equal(instructionNamedInError(model, 'something else'), undefined);
  });
});

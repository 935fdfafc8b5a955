import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  describeBase,
  parseDockerfile,
  rootStage,
  stripBom,
  targetStage,
  type DockerfileModel,
  type Stage,
} from '../../src/core/dockerfile';

const FIXTURES = join(__dirname, '..', 'fixtures', 'dockerfiles');
function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

/** Compact view of a stage: lens line, name, base as written, resolved, and what it is. */
function summary(m: DockerfileModel, s: Stage): [number, string | undefined, string | undefined, string | undefined, string] {
  const b = s.base;
  const what =
    b.kind === 'image' ? `image ${b.reference.canonical}`
    : b.kind === 'stage' ? `stage ${b.stageIndex}`
    : b.kind === 'unresolved' ? `unresolved ${b.missing.join(',')}`
    : b.kind === 'id' ? `id ${b.id}`
    : b.kind;
  void m;
  return [s.fromLine, s.name, s.baseWritten, s.baseResolved, what];
}

function stages(text: string, buildArgs?: Record<string, string>) {
  const m = parseDockerfile(text, { buildArgs });
  return m.stages.map((s) => summary(m, s));
}

describe('Dockerfile model (core/dockerfile)', () => {
  it('a line continuation with a comment line and a blank line inside is one FROM … AS build', () => {
    const m = parseDockerfile(fixture('continuation.Dockerfile'));
    assert.deepEqual(m.stages.map((s) => summary(m, s)), [
      [0, 'build', 'busybox', 'busybox', 'image docker.io/library/busybox:latest'],
      [7, undefined, 'build', 'build', 'stage 0'],
    ]);
    assert.deepEqual(m.stages[0]!.fromRange, { start: { line: 0, character: 0 }, end: { line: 3, character: 10 } });
    assert.deepEqual(m.instructions.map((i) => `${i.keyword}@${i.range.start.line}`), ['FROM@0', 'RUN@4', 'FROM@7']);
    assert.deepEqual(m.problems, []);
  });

  it('with "# escape=`" a trailing backslash does not continue the line, a backtick does', () => {
    const m = parseDockerfile(fixture('backtick.Dockerfile'));
    assert.equal(m.escapeChar, '`');
    assert.deepEqual(m.directives, [{ name: 'escape', value: '`', line: 0 }]);
    assert.deepEqual(m.stages.map((s) => summary(m, s)), [
      [1, 'base', 'busybox', 'busybox', 'image docker.io/library/busybox:latest'],
      [3, 'two', 'base', 'base', 'stage 0'],
    ]);
    // RUN on line 2 ends at its trailing backslash; the RUN on line 4 continues onto line 5.
    assert.deepEqual(m.instructions.map((i) => [i.keyword, i.range.start.line, i.range.end.line]), [
      ['FROM', 1, 1], ['RUN', 2, 2], ['FROM', 3, 3], ['RUN', 4, 5],
    ]);
  });

  it('a directive after a comment is only a comment (directives are at the very top only)', () => {
    const m = parseDockerfile(fixture('late-directive.Dockerfile'));
    assert.equal(m.escapeChar, '\\');
    assert.deepEqual(m.directives, []);
    // so the backslash continues the line: one FROM busybox AS base across lines 2-3
    assert.deepEqual(m.stages.map((s) => summary(m, s)), [[2, 'base', 'busybox', 'busybox', 'image docker.io/library/busybox:latest']]);
    const afterInstruction = parseDockerfile('FROM busybox\n# escape=`\nRUN echo \\\n  x\n');
    assert.equal(afterInstruction.escapeChar, '\\');
    assert.deepEqual(afterInstruction.instructions.map((i) => [i.keyword, i.range.start.line, i.range.end.line]), [['FROM', 0, 0], ['RUN', 2, 3]]);
  });

  it('a FROM inside a heredoc body (RUN <<EOF, COPY <<-"END", two heredocs on one line) is not an instruction', () => {
    const m = parseDockerfile(fixture('heredoc.Dockerfile'));
    assert.deepEqual(m.directives, [{ name: 'syntax', value: 'docker/dockerfile:1', line: 0 }]);
    assert.deepEqual(m.stages.map((s) => summary(m, s)), [
      [1, 'base', 'busybox', 'busybox', 'image docker.io/library/busybox:latest'],
      [14, undefined, 'base', 'base', 'stage 0'],
    ]);
    assert.deepEqual(m.instructions.map((i) => `${i.keyword}@${i.range.start.line}-${i.range.end.line}`), [
      'FROM@1-1', 'RUN@2-5', 'COPY@6-8', 'RUN@9-13', 'FROM@14-14',
    ]);
  });

  it('CRLF line endings and a leading byte-order mark', () => {
    const text = fixture('crlf-bom.Dockerfile');
    assert.equal(text.charCodeAt(0), 0xfeff, 'fixture really starts with a BOM');
    assert.ok(text.includes('\r\n'), 'fixture really has CRLF');
    const m = parseDockerfile(text);
    assert.deepEqual(m.metaArgs.map((a) => [a.name, a.value]), [['BASE', 'busybox']]);
    assert.deepEqual(m.stages.map((s) => summary(m, s)), [
      [1, 'One', '${BASE}', 'busybox', 'image docker.io/library/busybox:latest'],
      [4, undefined, 'one', 'one', 'stage 0'],
    ]);
    // the BOM is not part of the first instruction: ARG starts at character 0
    assert.deepEqual(m.instructions[0]!.range.start, { line: 0, character: 0 });
    assert.deepEqual(m.instructions.map((i) => [i.keyword, i.range.start.line, i.range.end.line]), [
      ['ARG', 0, 0], ['FROM', 1, 1], ['RUN', 2, 3], ['FROM', 4, 4],
    ]);
    // no stray \r in values
    assert.ok(!m.stages[0]!.name!.includes('\r'));
  });

  it('a BOM before a parser directive keeps the directive', () => {
    const m = parseDockerfile(fixture('bom-directive.Dockerfile'));
    assert.equal(m.escapeChar, '`');
    assert.deepEqual(m.stages.map((s) => summary(m, s)), [[1, 'b', 'busybox', 'busybox', 'image docker.io/library/busybox:latest']]);
    assert.deepEqual(m.stages[0]!.fromRange.end, { line: 2, character: 6 });
    assert.equal(stripBom('\uFEFFx'), 'x');
    assert.equal(stripBom('x'), 'x');
  });

  it('meta ARGs are substituted into FROM: $BASE, ${BASE}, ${X:-default}, ${IMG}:${TAG}; ARG after FROM is not visible', () => {
    const m = parseDockerfile(fixture('args.Dockerfile'));
    assert.deepEqual(m.stages.map((s) => summary(m, s)), [
      [4, 'a', '$BASE', 'busybox', 'image docker.io/library/busybox:latest'],
      [5, 'b', '${BASE}', 'busybox', 'image docker.io/library/busybox:latest'],
      [6, 'c', '${DISTRO:-debian:12}', 'debian:12', 'image docker.io/library/debian:12'],
      [7, 'd', '${IMG}:${TAG}', undefined, 'unresolved IMG'],
      [8, 'e', '${REG}/team/app:${TAG}', 'localhost:5000/team/app:1.36', 'image localhost:5000/team/app:1.36'],
      [10, 'f', '$LATE', undefined, 'unresolved LATE'],
      [11, 'g', '"${BASE}"', 'busybox', 'image docker.io/library/busybox:latest'],
    ]);
    const d = m.stages[3]!.base;
    assert.ok(d.kind === 'unresolved' && /pass a build arg/.test(d.reason));
    const f = m.stages[5]!.base;
    assert.ok(f.kind === 'unresolved' && /ARG after FROM is not visible/.test(f.reason));
    assert.match(describeBase(m, m.stages[3]!), /^unresolved/);
  });

  it('build-arg overrides apply to meta ARGs only, and can fill an ARG without default', () => {
    const m = parseDockerfile(fixture('args.Dockerfile'), { buildArgs: { IMG: 'myorg/tool', TAG: '2.0', BASE: 'busybox:musl', LATE: 'nope', DISTRO: 'debian:13' } });
    assert.deepEqual(m.stages.map((s) => summary(m, s)), [
      [4, 'a', '$BASE', 'busybox:musl', 'image docker.io/library/busybox:musl'],
      [5, 'b', '${BASE}', 'busybox:musl', 'image docker.io/library/busybox:musl'],
      // DISTRO is not declared before FROM, so --build-arg DISTRO does not reach FROM
      [6, 'c', '${DISTRO:-debian:12}', 'debian:12', 'image docker.io/library/debian:12'],
      [7, 'd', '${IMG}:${TAG}', 'myorg/tool:2.0', 'image docker.io/myorg/tool:2.0'],
      [8, 'e', '${REG}/team/app:${TAG}', 'localhost:5000/team/app:2.0', 'image localhost:5000/team/app:2.0'],
      [10, 'f', '$LATE', undefined, 'unresolved LATE'],
      [11, 'g', '"${BASE}"', 'busybox:musl', 'image docker.io/library/busybox:musl'],
    ]);
    assert.deepEqual(m.metaArgs.map((a) => [a.name, a.value, a.overridden]), [
      ['BASE', 'busybox:musl', true], ['IMG', 'myorg/tool', true], ['TAG', '2.0', true], ['REG', 'localhost:5000', false],
    ]);
  });

  it('meta ARG defaults may use earlier meta ARGs; an empty override is a value, not unresolved', () => {
    assert.deepEqual(stages('ARG V=1.36\nARG IMG=busybox:${V}\nFROM $IMG\n'), [[2, undefined, '$IMG', 'busybox:1.36', 'image docker.io/library/busybox:1.36']]);
    assert.deepEqual(stages('ARG T\nFROM busybox${T:+:}${T}\n'), [[1, undefined, 'busybox${T:+:}${T}', undefined, 'unresolved T']]);
    assert.deepEqual(stages('ARG T=\nFROM busybox${T:+:}${T}\n'), [[1, undefined, 'busybox${T:+:}${T}', 'busybox', 'image docker.io/library/busybox:latest']]);
    assert.deepEqual(stages('ARG T\nFROM busybox${T:+:}${T}\n', { T: 'musl' }), [[1, undefined, 'busybox${T:+:}${T}', 'busybox:musl', 'image docker.io/library/busybox:musl']]);
    // an unused default's variables are not reported missing; ${X:?msg} reports unresolved
    assert.deepEqual(stages('ARG A=busybox\nFROM ${A:-$NOPE}\n'), [[1, undefined, '${A:-$NOPE}', 'busybox', 'image docker.io/library/busybox:latest']]);
    const q = parseDockerfile('ARG A\nFROM ${A:?base-image-needed}\n');
    assert.ok(q.stages[0]!.base.kind === 'unresolved' && /base-image-needed/.test(q.stages[0]!.base.reason));
  });

  it('FROM --platform=… image AS name: the flag is skipped', () => {
    const m = parseDockerfile(fixture('platform.Dockerfile'));
    assert.deepEqual(m.stages.map((s) => summary(m, s)), [
      [0, 'build', 'busybox:1.36', 'busybox:1.36', 'image docker.io/library/busybox:1.36'],
      [1, undefined, 'busybox', 'busybox', 'image docker.io/library/busybox:latest'],
    ]);
    assert.deepEqual(m.stages.map((s) => s.platform), ['$BUILDPLATFORM', 'linux/amd64']);
    assert.deepEqual(m.problems, []);
  });

  it('stage names are case-insensitive, only earlier stages link, scratch has no base', () => {
    const m = parseDockerfile(fixture('stages.Dockerfile'));
    assert.deepEqual(m.stages.map((s) => summary(m, s)), [
      [0, 'BASE', 'busybox', 'busybox', 'image docker.io/library/busybox:latest'],
      [2, 'Middle', 'base', 'base', 'stage 0'],
      [3, undefined, 'MIDDLE', 'MIDDLE', 'stage 1'],
      // a stage cannot be its own base: "later" is an image here
      [4, 'later', 'later', 'later', 'image docker.io/library/later:latest'],
      [5, undefined, 'scratch', 'scratch', 'scratch'],
    ]);
    assert.deepEqual(m.stages.map((s) => s.targetable), [true, true, false, true, true]);
    assert.equal(targetStage(m, 'middle')!.index, 1);
    assert.equal(targetStage(m)!.index, 4);
    assert.equal(targetStage(m, 'nope'), undefined);
    assert.equal(rootStage(m, m.stages[2]!).index, 0);
    assert.equal(describeBase(m, m.stages[2]!), 'stage Middle');
    assert.deepEqual(m.stages[0]!.instructions.map((i) => i.keyword), ['FROM', 'RUN']);
  });

  it('image references normalised like the engine (latest, docker.io, library/, digests, registry ports)', () => {
    const m = parseDockerfile(fixture('references.Dockerfile'));
    const zeros = '0'.repeat(64);
    const ones = '1'.repeat(64);
    assert.deepEqual(m.stages.map((s) => (s.base.kind === 'image' ? [s.base.reference.canonical, s.base.reference.familiar] : s.base.kind)), [
      ['docker.io/library/busybox:latest', 'busybox:latest'],
      ['docker.io/library/busybox:1.36', 'busybox:1.36'],
      ['docker.io/library/busybox:latest', 'busybox:latest'],
      ['docker.io/library/busybox:latest', 'busybox:latest'],
      ['docker.io/myorg/app:v1', 'myorg/app:v1'],
      ['localhost:5000/team/app:v2', 'localhost:5000/team/app:v2'],
      [`registry.example.com:8443/a/b/c@sha256:${zeros}`, `registry.example.com:8443/a/b/c@sha256:${zeros}`],
      [`docker.io/library/busybox:1.36@sha256:${ones}`, `busybox:1.36@sha256:${ones}`],
      // an upper-case first component is a registry host, exactly as the engine splits it
      ['UpperCase/app:latest', 'UpperCase/app:latest'],
    ]);
    const bad = parseDockerfile('FROM busybox:bad:tag\nFROM Busybox\nFROM sha256:' + 'a'.repeat(64) + '\n');
    assert.deepEqual(bad.stages.map((s) => s.base.kind), ['invalid', 'invalid', 'id']);
  });

  it('bad input: FROM without image, extra arguments, instructions before FROM, duplicate names — listed as problems, no throw', () => {
    const m = parseDockerfile('RUN echo early\nFROM\nFROM a b\nFROM busybox AS x\nFROM busybox AS X\n');
    assert.equal(m.stages[0]!.base.kind, 'invalid');
    assert.deepEqual(m.problems.map((p) => p.range.start.line), [0, 1, 2, 4]);
    assert.deepEqual(parseDockerfile('').stages, []);
    assert.equal(parseDockerfile('# only a comment\n').problems.length, 0);
    assert.equal(parseDockerfile('RUN x\n').problems.length, 2);
  });
});

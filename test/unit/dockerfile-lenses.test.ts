import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDockerfile } from '../../src/core/dockerfile';
import { planFromLenses, statusTitle, type FromLensPlan } from '../../src/core/fromlens';
import { buildLineage, type ImageRecord } from '../../src/core/lineage';

const FIX = join(__dirname, '..', 'fixtures', 'dockerfiles');
const hex = (c: string) => `sha256:${c.repeat(64)}`;
function image(id: string, tags: string[], layers: string[], created: number): ImageRecord {
  return { id, repoTags: tags, repoDigests: [], parent: '', layers, labels: {}, created, size: layers.length * 1000 };
}
// busybox ← child-a, child-b (layer prefixes); app:v1 on another registry
const images = [
  image(hex('1'), ['busybox:latest'], ['L1'], 1),
  image(hex('2'), ['child-a:1'], ['L1', 'L2'], 2),
  image(hex('3'), ['child-b:1'], ['L1', 'L3'], 3),
  image(hex('4'), ['localhost:5000/team/app:1.36'], ['L9'], 4),
];
const local = { images, forest: buildLineage(images) };

function compact(p: FromLensPlan): string {
  const s = p.status;
  const st = s.kind === 'present' ? `present(${s.children})` : s.kind === 'stage' ? `stage#${s.stageIndex}@${s.line}` : s.kind;
  const build = p.buildTarget === undefined ? '-' : p.buildTarget === null ? 'build' : `build:${p.buildTarget}`;
  return `${p.line} ${st} ${p.showInTree ? 'tree' : '-'} ${build}`;
}

function plan(file: string, withEngine = true, buildArgs?: Record<string, string>): string[] {
  const m = parseDockerfile(readFileSync(join(FIX, file), 'utf8'), { buildArgs });
  return planFromLenses(m, withEngine ? local : undefined).map(compact);
}

describe('FROM lens plan (core/fromlens) on the fixtures', () => {
  it('args: present with child counts, missing, unresolved without build lens, registry ports', () => {
    assert.deepEqual(plan('args.Dockerfile'), [
      '4 present(2) tree build:a',
      '5 present(2) tree build:b',
      '6 missing - build:c',
      '7 unresolved - -',
      '8 present(0) tree build:e',
      '10 unresolved - -',
      '11 present(2) tree build',
    ]);
    assert.deepEqual(plan('args.Dockerfile', true, { IMG: 'child-a', TAG: '1' })[3], '7 present(0) tree build:d');
  });

  it('stages: in-file links (case-insensitive), unnamed middle stage not buildable, scratch', () => {
    assert.deepEqual(plan('stages.Dockerfile'), [
      '0 present(2) tree build:BASE',
      '2 stage#0@0 - build:Middle',
      '3 stage#1@2 - -',
      '4 missing - build:later',
      '5 scratch - build',
    ]);
  });

  it('continuation, backtick, heredoc, CRLF+BOM, platform: lenses on the FROM keyword lines', () => {
    assert.deepEqual(plan('continuation.Dockerfile'), ['0 present(2) tree build:build', '7 stage#0@0 - build']);
    assert.deepEqual(plan('backtick.Dockerfile'), ['1 present(2) tree build:base', '3 stage#0@1 - build']);
    assert.deepEqual(plan('heredoc.Dockerfile'), ['1 present(2) tree build:base', '14 stage#0@1 - build']);
    assert.deepEqual(plan('crlf-bom.Dockerfile'), ['1 present(2) tree build:One', '4 stage#0@1 - build']);
    assert.deepEqual(plan('platform.Dockerfile'), ['0 missing - build:build', '1 present(2) tree build']);
    assert.deepEqual(plan('late-directive.Dockerfile'), ['2 present(2) tree build']);
  });

  it('references: normalised names match local tags (docker.io/library/busybox = busybox:latest)', () => {
    const p = plan('references.Dockerfile').map((x) => x.split(' ')[1]);
    assert.deepEqual(p, ['present(2)', 'missing', 'present(2)', 'present(2)', 'missing', 'missing', 'missing', 'missing', 'missing']);
  });

  it('without an engine: status unknown, still buildable', () => {
    assert.deepEqual(plan('continuation.Dockerfile', false), ['0 unknown - build:build', '7 stage#0@0 - build']);
  });

  it('titles say what the lens means', () => {
    const m = parseDockerfile('ARG X\nFROM busybox AS a\nFROM a\nFROM $X\nFROM Bad\n');
    const titles = planFromLenses(m, local).map((p) => statusTitle(p.status));
    assert.deepEqual(titles, [
      '$(check) busybox:latest · present · 2 child images',
      '$(arrow-up) from stage a (line 2)',
      '$(warning) base unresolved: no value for $X: pass a build arg',
      '$(error) invalid base: invalid image reference "Bad": repository name must be lowercase',
    ]);
  });

  it('on Podman a short FROM finds localhost/… and docker.io/… images as Podman does; on Docker only docker.io/…', () => {
    const podmanImages = [
      image(hex('5'), ['localhost/team/base:1'], ['P1'], 5),
      image(hex('6'), ['docker.io/pm/probe:2'], ['P2'], 6),
      image(hex('7'), ['localhost/busybox:latest'], ['P3'], 7),
    ];
    const names = { shortNameDomains: ['localhost', 'docker.io'] };
    const m = parseDockerfile('FROM team/base:1\nFROM pm/probe:2\nFROM busybox\nFROM docker.io/library/busybox\n');
    const status = (view: Parameters<typeof planFromLenses>[1]) => planFromLenses(m, view).map((p) => (p.status.kind === 'present' ? `present ${p.status.imageTag}` : p.status.kind));
    const onPodman = status({ images: podmanImages, forest: buildLineage(podmanImages, [], { names }), names });
    assert.deepEqual(onPodman, ['present localhost/team/base:1', 'present docker.io/pm/probe:2', 'present localhost/busybox:latest', 'missing']);
    // Docker's rule: a short name is docker.io's, so only pm/probe:2 is found.
    assert.deepEqual(status({ images: podmanImages, forest: buildLineage(podmanImages) }), ['missing', 'present docker.io/pm/probe:2', 'missing', 'missing']);
  });
});

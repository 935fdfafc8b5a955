import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseDockerfile } from '../../src/core/dockerfile';
import { formatStages, run, stageJson } from '../../src/cli/stages';
import { captureCli } from './cliCapture';

const FIX = join(__dirname, '..', 'fixtures', 'dockerfiles');

const capture = (args: string[]) => captureCli(run, args);

describe('CLI: container-lineage stages', () => {
  it('--json with --build-arg prints each stage: lines, written, resolved, link or image, unresolved', async () => {
    const r = await capture([join(FIX, 'args.Dockerfile'), '--build-arg', 'IMG=myorg/tool', '--json']);
    assert.equal(r.code, 0);
    const j = JSON.parse(r.out) as { stages: ReturnType<typeof stageJson>[] };
    const d = j.stages[3]!;
    assert.deepEqual([d.fromLines, d.baseWritten, d.baseResolved, d.kind, d.reference, d.unresolved], [
      { start: 8, end: 8 }, '${IMG}:${TAG}', 'myorg/tool:1.36', 'image', 'docker.io/myorg/tool:1.36', false,
    ]);
    assert.equal(j.stages[5]!.unresolved, true);
    assert.equal(j.stages[5]!.baseResolved, null);
  });

  it('text output marks in-file links and multi-line FROM ranges', async () => {
    const r = await capture([join(FIX, 'continuation.Dockerfile')]);
    assert.equal(r.code, 0);
    assert.match(r.out, /#0 build {2}lines 1-4 {2}FROM busybox {2}\[image\]/);
    assert.match(r.out, /#1 \(unnamed\) {2}line 8 {2}FROM build {2}\[in-file link\] stage build/);
    const m = parseDockerfile('FROM ${X}\n');
    assert.match(formatStages(m), /UNRESOLVED/);
  });

  it('bad usage and unreadable files give exit codes 2 and 1', async () => {
    assert.equal((await capture([])).code, 2);
    assert.equal((await capture(['x', '--build-arg', 'novalue'])).code, 2);
    assert.equal((await capture(['--bogus'])).code, 2);
    const missing = await capture([join(FIX, 'does-not-exist')]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /cannot read/);
  });
});

/**
 * .ci/run: CI's exit status is `npm test`'s, whatever its cleanup finds. A copy of the real script
 * runs in a temp folder with a stand-in `npm` on PATH (the one thing replaced: the real `npm test`
 * takes twenty minutes and is what CI itself runs). The cleanup must keep the status, unmount what
 * was left mounted under the cache folder and remove the folder.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CI_RUN = resolve(__dirname, '../../.ci/run');

interface CiRun { status: number | null; cache: string; stderr: string }

/** Runs the copied .ci/run with `npm test` exiting `rc`; `mount` leaves a tmpfs under the cache. */
function runCi(root: string, rc: number, mount: boolean): CiRun {
  const bin = join(root, 'bin');
  const tmp = join(root, 'tmp');
  mkdirSync(bin, { recursive: true });
  mkdirSync(tmp, { recursive: true });
  const seen = join(root, 'cache-path');
  writeFileSync(join(bin, 'npm'), [
    '#!/usr/bin/env bash',
    'if [ "$1" = --version ]; then echo 10.0.0; exit 0; fi',
    `echo "$CONTAINER_LINEAGE_CACHE" > ${JSON.stringify(seen)}`,
    'mkdir -p "$CONTAINER_LINEAGE_CACHE/podman/storage/overlay" && touch "$CONTAINER_LINEAGE_CACHE/file"',
    mount ? 'mount -t tmpfs cl-ci-run-test "$CONTAINER_LINEAGE_CACHE/podman/storage/overlay"' : 'true',
    `exit ${rc}`,
    '',
  ].join('\n'));
  chmodSync(join(bin, 'npm'), 0o755);
  const r = spawnSync('bash', [join(root, 'repo/.ci/run')], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, TMPDIR: tmp },
    timeout: 30_000,
  });
  return { status: r.status, cache: readFileSync(seen, 'utf8').trim(), stderr: r.stderr };
}

describe('.ci/run (exit status and cleanup)', function () {
  this.timeout(60_000);
  let root = '';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cl-ci-run-'));
    mkdirSync(join(root, 'repo/.ci'), { recursive: true });
    copyFileSync(CI_RUN, join(root, 'repo/.ci/run'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('exits 0 when npm test passes and nothing is left mounted (the stop-20 CI ended 1 here)', () => {
    const r = runCi(root, 0, false);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(existsSync(r.cache), false, 'the cache folder is removed');
  });

  it('keeps npm test\'s failing status', () => {
    const r = runCi(root, 3, false);
    assert.equal(r.status, 3, r.stderr);
    assert.equal(existsSync(r.cache), false);
  });

  it('unmounts what was left mounted under the cache folder, removes it, and still exits 0', function () {
    if (process.getuid?.() !== 0) throw new Error('this test mounts a tmpfs: run it as root (CI and this machine do)');
    const r = runCi(root, 0, true);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!readFileSync('/proc/mounts', 'utf8').includes(r.cache), 'no mount under the cache folder is left');
    assert.equal(existsSync(r.cache), false);
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  });
});

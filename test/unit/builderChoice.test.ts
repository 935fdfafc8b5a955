import * as assert from 'node:assert/strict';
import { builderLabel, chooseBuilder, isPodman, type EngineFacts } from '../../src/core/builderChoice';

/** /_ping headers as the engines send them (Docker 20.10 here, Docker 27, Podman 4.3). */
const DOCKER_20_10: EngineFacts = {
  pingHeaders: { 'api-version': '1.41', 'docker-experimental': 'false', ostype: 'linux', server: 'Docker/20.10.24+dfsg1 (linux)' },
  name: 'Docker',
  version: '20.10.24+dfsg1',
  apiVersion: '1.41',
  os: 'linux',
};
const DOCKER_27: EngineFacts = { pingHeaders: { 'api-version': '1.47', 'builder-version': '2', ostype: 'linux' }, name: 'Docker', version: '27.3.1', apiVersion: '1.47', os: 'linux' };
const PODMAN: EngineFacts = {
  pingHeaders: { 'api-version': '1.41', 'libpod-api-version': '4.3.1', 'libpod-buildah-version': '1.28.2', server: 'Libpod/4.3.1 (linux)' },
  name: 'Podman',
  version: '4.3.1',
  apiVersion: '1.41',
  os: 'linux',
};
const BOTH = ['classic', 'buildkit'] as const;

describe('builder choice (core/builderChoice)', () => {
  it('auto: BuildKit on Docker 18.09+ (API 1.39+) even without a Builder-Version header, and on Builder-Version: 2', () => {
    const a = chooseBuilder('auto', DOCKER_20_10, BOTH);
    assert.ok(a.ok && a.builder === 'buildkit' && /API 1\.41 has BuildKit/.test(a.reason), JSON.stringify(a));
    const b = chooseBuilder('auto', DOCKER_27, BOTH);
    assert.ok(b.ok && b.builder === 'buildkit' && /Builder-Version: 2/.test(b.reason));
  });

  it('auto: the classic builder on an engine without BuildKit (API < 1.39, Windows, unknown)', () => {
    const old = chooseBuilder('auto', { pingHeaders: { 'api-version': '1.38' }, name: 'Docker', version: '18.06.3', apiVersion: '1.38' }, BOTH);
    assert.ok(old.ok && old.builder === 'classic' && /has no BuildKit/.test(old.reason));
    const win = chooseBuilder('auto', { ...DOCKER_27, os: 'windows', pingHeaders: { ostype: 'windows', 'api-version': '1.47' } }, BOTH);
    assert.ok(win.ok && win.builder === 'classic' && /Windows/.test(win.reason));
    const unknown = chooseBuilder('auto', { pingHeaders: {} }, BOTH);
    assert.ok(unknown.ok && unknown.builder === 'classic');
  });

  it('Podman (Libpod-* headers): its own path — Buildah when registered, else the classic request; buildkit is refused with what to do', () => {
    assert.equal(isPodman(PODMAN), true);
    assert.equal(isPodman({ pingHeaders: { server: 'Libpod/4.3.1 (linux)' } }), true);
    assert.equal(isPodman(DOCKER_20_10), false);
    const a = chooseBuilder('auto', PODMAN, BOTH);
    assert.ok(a.ok && a.builder === 'classic' && /Podman/.test(a.reason));
    const b = chooseBuilder('auto', PODMAN, [...BOTH, 'buildah']);
    assert.ok(b.ok && b.builder === 'buildah');
    const c = chooseBuilder('buildkit', PODMAN, BOTH);
    assert.ok(!c.ok && /Buildah/.test(c.message) && /containerLineage\.build\.builder to auto/.test(c.message));
  });

  it('explicit settings win where they can run', () => {
    const c = chooseBuilder('classic', DOCKER_27, BOTH);
    assert.ok(c.ok && c.builder === 'classic');
    const k = chooseBuilder('buildkit', DOCKER_20_10, BOTH);
    assert.ok(k.ok && k.builder === 'buildkit');
    const no = chooseBuilder('buildkit', { pingHeaders: { 'api-version': '1.38' }, name: 'Docker', version: '18.06' }, BOTH);
    assert.ok(!no.ok && /18\.09/.test(no.message));
    assert.deepEqual([builderLabel('buildkit'), builderLabel('classic'), builderLabel('buildah')], ['BuildKit', 'classic builder', 'Buildah']);
  });
});

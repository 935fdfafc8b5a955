import * as assert from 'node:assert/strict';
import { builderLabel, chooseBuilder, factsFromPing, type EngineFacts } from '../../src/core/builderChoice';

/** /_ping headers as the engines send them (Docker 20.10 here, Docker 27, Podman 4.3 here). */
const PING_DOCKER_20_10 = { 'api-version': '1.41', 'docker-experimental': 'false', ostype: 'linux', server: 'Docker/20.10.24+dfsg1 (linux)' };
const PING_DOCKER_27 = { 'api-version': '1.47', 'builder-version': '2', ostype: 'linux', server: 'Docker/27.3.1 (linux)' };
const PING_PODMAN = { 'api-version': '1.41', 'libpod-api-version': '4.3.1', 'libpod-buildah-version': '1.28.2', server: 'Libpod/4.3.1 (linux)' };
/** The connection's identity of the same engines (what the editor and the CLI pass). */
const DOCKER_20_10: EngineFacts = { kind: 'docker', version: '20.10.24+dfsg1', apiVersion: '1.41', os: 'linux' };
const PODMAN: EngineFacts = { kind: 'podman', version: '4.3.1', apiVersion: '1.41', os: 'linux', builderVersion: '1.28.2' };
const BOTH = ['classic', 'buildkit'] as const;

describe('builder choice (core/builderChoice)', () => {
  it('facts from /_ping alone: the dialect by Libpod-* headers, Builder-Version, Api-Version, Ostype', () => {
    assert.deepEqual(factsFromPing(PING_DOCKER_20_10), { kind: 'docker', builderVersion: undefined, apiVersion: '1.41', os: 'linux' });
    assert.deepEqual(factsFromPing(PING_DOCKER_27), { kind: 'docker', builderVersion: '2', apiVersion: '1.47', os: 'linux' });
    assert.equal(factsFromPing(PING_PODMAN).kind, 'podman');
  });

  it('auto: BuildKit on Docker 18.09+ (API 1.39+) even without a Builder-Version header, and on Builder-Version: 2', () => {
    const a = chooseBuilder('auto', DOCKER_20_10, BOTH);
    assert.ok(a.ok && a.builder === 'buildkit' && a.reason === 'BuildKit: Docker Engine 20.10.24+dfsg1, API 1.41 has BuildKit (Docker Engine 18.09+)', JSON.stringify(a));
    const b = chooseBuilder('auto', factsFromPing(PING_DOCKER_27), BOTH);
    assert.ok(b.ok && b.builder === 'buildkit' && /Builder-Version: 2/.test(b.reason));
  });

  it('auto: the classic builder on an engine without BuildKit (API < 1.39, Windows, unknown)', () => {
    const old = chooseBuilder('auto', { kind: 'docker', version: '18.06.3', apiVersion: '1.38' }, BOTH);
    assert.ok(old.ok && old.builder === 'classic' && /has no BuildKit/.test(old.reason));
    const win = chooseBuilder('auto', factsFromPing({ ...PING_DOCKER_27, ostype: 'windows' }), BOTH);
    assert.ok(win.ok && win.builder === 'classic' && /Windows/.test(win.reason));
    const unknown = chooseBuilder('auto', factsFromPing({}), BOTH);
    assert.ok(unknown.ok && unknown.builder === 'classic');
  });

  it('Podman: its own path — Buildah when registered, else the classic request; buildkit is refused with what to do', () => {
    const a = chooseBuilder('auto', PODMAN, BOTH);
    assert.ok(a.ok && a.builder === 'classic' && /^classic request: Podman 4\.3\.1's compat \/build runs it with Buildah$/.test(a.reason), JSON.stringify(a));
    const b = chooseBuilder('auto', factsFromPing(PING_PODMAN), [...BOTH, 'buildah']);
    assert.ok(b.ok && b.builder === 'buildah');
    const c = chooseBuilder('buildkit', PODMAN, BOTH);
    assert.ok(!c.ok && /Buildah/.test(c.message) && /containerLineage\.build\.builder to auto/.test(c.message));
  });

  it('Podman with the Buildah builder: auto, classic and buildah all run Buildah (never BuildKit); buildah is refused on Docker', () => {
    const all = [...BOTH, 'buildah'] as const;
    for (const setting of ['auto', 'classic', 'buildah', 'something-else']) {
      const r = chooseBuilder(setting, PODMAN, all);
      assert.ok(r.ok && r.builder === 'buildah', `${setting}: ${JSON.stringify(r)}`);
    }
    const classic = chooseBuilder('classic', PODMAN, all);
    assert.ok(classic.ok && classic.reason === 'classic builder requested; Podman 4.3.1 builds with Buildah');
    assert.equal(chooseBuilder('buildkit', PODMAN, all).ok, false);
    const onDocker = chooseBuilder('buildah', DOCKER_20_10, all);
    assert.ok(!onDocker.ok && /Docker Engine 20\.10\.24\+dfsg1 has no Buildah/.test(onDocker.message) && /auto, buildkit or classic/.test(onDocker.message));
  });

  it('explicit settings win where they can run', () => {
    const c = chooseBuilder('classic', factsFromPing(PING_DOCKER_27), BOTH);
    assert.ok(c.ok && c.builder === 'classic');
    const k = chooseBuilder('buildkit', DOCKER_20_10, BOTH);
    assert.ok(k.ok && k.builder === 'buildkit');
    const no = chooseBuilder('buildkit', { kind: 'docker', version: '18.06', apiVersion: '1.38' }, BOTH);
    assert.ok(!no.ok && /18\.09/.test(no.message));
    assert.deepEqual([builderLabel('buildkit'), builderLabel('classic'), builderLabel('buildah')], ['BuildKit', 'classic builder', 'Buildah']);
  });
});

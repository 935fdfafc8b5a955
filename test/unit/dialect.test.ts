import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DOCKER_DIALECT,
  PODMAN_DIALECT,
  builderVersion,
  classifyEvent,
  containerStateGroup,
  detectEngineKind,
  dialectOf,
  engineTitle,
  normalizeImageId,
  type EngineEventLike,
} from '../../src/core/dialect';

/** Event streams recorded here for the same operations on each engine (fixtures/events/README.md). */
function recorded(file: string): EngineEventLike[] {
  return readFileSync(join(__dirname, 'fixtures', 'events', file), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as EngineEventLike);
}

describe('engine dialects (core/dialect)', () => {
  const hex = '22357ca11af66378eb3949fb89b73229b5cf136e87dfe3b64418a918ec940d40';

  it('names the engine as the status bar, the CLI and the overhead report show it', () => {
    assert.equal(engineTitle('podman', '4.3.1'), 'Podman 4.3.1');
    assert.equal(engineTitle('docker', '20.10.24'), 'Docker Engine 20.10.24');
  });

  it('detects Podman by its ping header or its /version component, Docker otherwise', () => {
    // Headers of Podman 4.3.1's /_ping here, lower-cased as node gives them.
    const podmanPing = { 'api-version': '1.41', 'libpod-api-version': '4.3.1', 'libpod-buildah-version': '1.28.2', server: 'Libpod/4.3.1 (linux)' };
    assert.equal(detectEngineKind({ pingHeaders: podmanPing }), 'podman');
    assert.equal(detectEngineKind({ componentNames: ['Podman Engine', 'Conmon'] }), 'podman');
    assert.equal(detectEngineKind({ pingHeaders: { 'api-version': '1.41', 'docker-experimental': 'false' }, componentNames: ['Engine', 'containerd', 'runc'] }), 'docker');
    assert.equal(detectEngineKind({}), 'docker');
    assert.equal(builderVersion('podman', podmanPing), '1.28.2');
    assert.equal(builderVersion('docker', { 'builder-version': '2' }), '2');
    assert.equal(builderVersion('docker', {}), undefined);
    assert.equal(dialectOf(undefined), DOCKER_DIALECT);
  });

  it('bare-hex IDs become "sha256:<hex>"; other text is unchanged', () => {
    assert.equal(normalizeImageId(hex), `sha256:${hex}`);
    assert.equal(normalizeImageId(`sha256:${hex}`), `sha256:${hex}`);
    assert.equal(normalizeImageId(''), '');
    assert.equal(normalizeImageId('busybox'), 'busybox');
  });

  it('Podman states are grouped with the Docker state they correspond to', () => {
    assert.equal(containerStateGroup('initialized'), 'created');
    assert.equal(containerStateGroup('configured'), 'created');
    assert.equal(containerStateGroup('stopped'), 'exited');
    assert.equal(containerStateGroup('stopping'), 'stopping');
    assert.equal(containerStateGroup('Running'), 'running');
    assert.equal(containerStateGroup('frozen'), 'unknown');
  });

  it('recorded Podman stream: bare-hex IDs read as image IDs, `remove` refreshes containers, `delete` after an untag only refreshes images', () => {
    const effects = recorded('podman-4.3.1.jsonl').map((e) => classifyEvent(e, PODMAN_DIALECT));
    assert.deepEqual(
      effects.map((e) => [e.type, e.action, e.refresh.join('+'), e.mayBeGone, e.unknown]),
      [
        ['image', 'tag', 'images', false, false],
        ['image', 'tag', 'images', false, false],
        ['image', 'untag', 'images', false, false],
        ['image', 'delete', 'images', true, false],
        ['container', 'create', 'containers', false, false],
        ['container', 'rename', 'containers', false, false],
        ['container', 'remove', 'containers', true, false],
        ['image', 'untag', 'images', false, false],
        ['image', 'delete', 'images', true, false],
      ],
    );
    for (const e of effects.filter((x) => x.type === 'image')) assert.equal(e.id, `sha256:${hex}`);
  });

  it('recorded Docker stream: `destroy` refreshes containers; image IDs kept', () => {
    const effects = recorded('docker-20.10.24.jsonl').map((e) => classifyEvent(e, DOCKER_DIALECT));
    assert.deepEqual(
      effects.map((e) => [e.type, e.action, e.refresh.join('+'), e.unknown]),
      [
        ['image', 'tag', 'images', false],
        ['image', 'tag', 'images', false],
        ['image', 'untag', 'images', false],
        ['container', 'create', 'containers', false],
        ['container', 'rename', 'containers', false],
        ['container', 'destroy', 'containers', false],
        ['image', 'untag', 'images', false],
      ],
    );
    assert.equal(effects[0]!.id, `sha256:${hex}`);
  });

  // Podman sends these for containers that start and run, which this sandbox cannot do: the
  // shapes follow Podman 4.3's events (libpod/events), with a bare-hex container ID.
  it('Podman-only actions and types: quiet ones refresh nothing, the rest what they concern, unknown ones a targeted refresh', () => {
    const c = (Action: string, Type = 'container') => classifyEvent({ Type, Action, Actor: { ID: hex } }, PODMAN_DIALECT);
    for (const quiet of ['exec_died', 'mount', 'sync', 'exec', 'exec_start: sh -c true']) assert.deepEqual(c(quiet).refresh, [], quiet);
    for (const change of ['init', 'cleanup', 'start', 'die', 'stop']) assert.deepEqual(c(change).refresh, ['containers'], change);
    assert.deepEqual(c('commit').refresh, ['images', 'containers']);
    assert.deepEqual(c('create', 'pod').refresh, ['containers']);
    assert.deepEqual(c('refresh', 'system').refresh, ['images', 'containers']);
    assert.deepEqual(c('create', 'volume').refresh, []);
    const unknownAction = c('teleport');
    assert.deepEqual([unknownAction.refresh, unknownAction.unknown], [['containers'], true]);
    const unknownImage = c('sparkle', 'image');
    assert.deepEqual([unknownImage.refresh, unknownImage.unknown], [['images'], true]);
    const unknownType = c('x', 'machine-learning');
    assert.deepEqual([unknownType.refresh, unknownType.unknown], [['images', 'containers'], true]);
    assert.deepEqual(classifyEvent({}, PODMAN_DIALECT).refresh, ['images', 'containers'], 'an empty event is never an error');
  });

  it('Docker quiet actions stay quiet under both dialects', () => {
    for (const d of [DOCKER_DIALECT, PODMAN_DIALECT]) {
      for (const a of ['exec_create: sh', 'exec_die', 'attach', 'resize', 'health_status: healthy']) {
        assert.deepEqual(classifyEvent({ Type: 'container', Action: a }, d).refresh, [], `${d.kind} ${a}`);
      }
      assert.deepEqual(classifyEvent({ Type: 'image', Action: 'push' }, d).refresh, []);
    }
  });
});

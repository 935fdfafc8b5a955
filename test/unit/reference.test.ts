import * as assert from 'node:assert/strict';
import { findLocalImage, LocalImageIndex, lookupCandidates, parseImageId, parseReference, tryParseReference } from '../../src/core/reference';
import { PODMAN_DIALECT } from '../../src/core/dialect';
import { deriveImageName, sanitizeImageName, splitRepoTag, tagMoveWarning, validateImageName } from '../../src/core/tagname';
import { expandWord, splitWords } from '../../src/core/shellword';

describe('image references (core/reference)', () => {
  const cases: Array<[string, string, string]> = [
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['index.docker.io/library/busybox:x', 'docker.io/library/busybox:x', 'busybox:x'],
    ['org/app', 'docker.io/org/app:latest', 'org/app:latest'],
    ['docker.io/library/a/b', 'docker.io/library/a/b:latest', 'library/a/b:latest'],
    ['localhost/app', 'localhost/app:latest', 'localhost/app:latest'],
    ['localhost:5000/app:Dev', 'localhost:5000/app:Dev', 'localhost:5000/app:Dev'],
    ['reg.example.com/team/app:1', 'reg.example.com/team/app:1', 'reg.example.com/team/app:1'],
    ['[::1]:5000/app', '[::1]:5000/app:latest', '[::1]:5000/app:latest'],
    ['my_app.v2--x', 'docker.io/library/my_app.v2--x:latest', 'my_app.v2--x:latest'],
  ];
  for (const [input, canonical, familiar] of cases) {
    it(`${input} → ${canonical}`, () => {
      const r = parseReference(input);
      assert.equal(r.canonical, canonical);
      assert.equal(r.familiar, familiar);
    });
  }

  it('digests: digest-only has no implicit tag; tag and digest are both kept', () => {
    const d = 'sha256:' + 'ab'.repeat(32);
    const r = parseReference(`busybox@${d}`);
    assert.equal(r.tag, undefined);
    assert.equal(r.digest, d);
    assert.equal(r.canonical, `docker.io/library/busybox@${d}`);
    const both = parseReference(`busybox:1@${d}`);
    assert.equal(both.tag, '1');
    assert.equal(both.tagExplicit, true);
    assert.equal(parseReference('busybox').tagExplicit, false);
  });

  it('rejects what the engine rejects', () => {
    for (const bad of ['', 'Busybox', 'busybox:', 'busybox:-x', 'a//b', 'busybox@sha256:abc', 'a'.repeat(64), '-x', 'x/', 'x:' + 't'.repeat(129), 'a'.repeat(256)]) {
      assert.equal(tryParseReference(bad), undefined, bad);
    }
  });

  it('image IDs', () => {
    const hex = 'c'.repeat(64);
    assert.deepEqual(parseImageId(hex), { original: hex, id: `sha256:${hex}` });
    assert.deepEqual(parseImageId(`sha256:${hex}`)?.id, `sha256:${hex}`);
    assert.equal(parseImageId('busybox'), undefined);
  });

  it('findLocalImage matches RepoTags and RepoDigests after normalisation', () => {
    const d = 'sha256:' + '12'.repeat(32);
    const images = [
      { Id: 'sha256:' + 'a'.repeat(64), RepoTags: ['<none>:<none>'], RepoDigests: [] },
      { Id: 'sha256:' + 'b'.repeat(64), RepoTags: ['busybox:latest', 'localhost:5000/x:1'], RepoDigests: [`busybox@${d}`] },
      { Id: 'sha256:' + 'c'.repeat(64), RepoTags: null, RepoDigests: null },
    ];
    assert.equal(findLocalImage(images, 'docker.io/library/busybox')?.Id, images[1]!.Id);
    assert.equal(findLocalImage(images, 'busybox:latest')?.Id, images[1]!.Id);
    assert.equal(findLocalImage(images, 'busybox:1.36'), undefined);
    assert.equal(findLocalImage(images, `busybox:whatever@${d}`)?.Id, images[1]!.Id, 'digest wins over tag');
    assert.equal(findLocalImage(images, 'localhost:5000/x:1')?.Id, images[1]!.Id);
    assert.equal(findLocalImage(images, 'x:1'), undefined, 'registry host matters');
    assert.equal(findLocalImage(images, 'c'.repeat(64))?.Id, images[2]!.Id);
    assert.equal(findLocalImage(images, 'Not Valid'), undefined);
  });

  // Podman 4.3 (checked here): images made or loaded locally are `localhost/<name>`, names made
  // through the compat API `docker.io/<name>`; a short name finds localhost/ first, then docker.io.
  const PODMAN = PODMAN_DIALECT.names;
  it('lookup candidates: Docker looks a short name up on docker.io only, Podman on localhost/ then docker.io', () => {
    assert.deepEqual(lookupCandidates('team/base:1').map((r) => r.canonical), ['docker.io/team/base:1']);
    assert.deepEqual(lookupCandidates('team/base:1', PODMAN).map((r) => r.canonical), ['localhost/team/base:1', 'docker.io/team/base:1']);
    assert.deepEqual(lookupCandidates('busybox', PODMAN).map((r) => r.canonical), ['localhost/busybox:latest', 'docker.io/library/busybox:latest']);
    assert.deepEqual(lookupCandidates('localhost/x:1', PODMAN).map((r) => r.canonical), ['localhost/x:1'], 'a written registry is the only candidate');
    assert.deepEqual(lookupCandidates('docker.io/library/busybox', PODMAN).map((r) => r.canonical), ['docker.io/library/busybox:latest']);
    assert.equal(parseReference('localhost/x').domainExplicit, true);
    assert.equal(parseReference('team/base').domainExplicit, false);
    assert.deepEqual(lookupCandidates('Not Valid', PODMAN), []);
  });

  it('a Podman index finds short names, digests and IDs as Podman does', () => {
    const d = 'sha256:' + '34'.repeat(32);
    const busybox = { id: 'sha256:' + 'b'.repeat(64), repoTags: ['localhost/busybox:latest', 'docker.io/pm/probe:2'], repoDigests: [`localhost/busybox@${d}`] };
    const zzDocker = { id: 'sha256:' + 'e'.repeat(64), repoTags: ['docker.io/library/zz:1'], repoDigests: [] };
    const zzLocal = { id: 'sha256:' + 'f'.repeat(64), repoTags: ['localhost/zz:1'], repoDigests: [] };
    const index = new LocalImageIndex([busybox, zzDocker, zzLocal], PODMAN);
    assert.equal(index.find('busybox:latest'), busybox);
    assert.equal(index.find('busybox'), busybox);
    assert.equal(index.find('pm/probe:2'), busybox, 'a compat-API tag is found by its short name');
    assert.equal(index.find(`busybox@${d}`), busybox);
    assert.equal(index.find('zz:1'), zzLocal, 'localhost/ before docker.io, as Podman resolves it');
    assert.equal(index.find('docker.io/library/zz:1'), zzDocker);
    assert.equal(index.find('b'.repeat(64)), busybox);
    assert.equal(index.find('docker.io/library/busybox:latest'), undefined, 'a written registry must match');
    // On Docker the same tags are other names: team/base:1 is docker.io's.
    const docker = new LocalImageIndex([busybox, zzLocal]);
    assert.equal(docker.find('busybox:latest'), undefined);
    assert.equal(docker.find('localhost/zz:1'), zzLocal);
  });

  it('display names: as typed where that finds the same tag, the full name where it would not', () => {
    const a = { id: 'sha256:' + 'a'.repeat(64), repoTags: ['localhost/team/base:1', 'docker.io/library/busybox:latest', 'docker.io/pm/probe:2', 'localhost/zz:1', 'registry.example:5000/app:1'], repoDigests: [] };
    const b = { id: 'sha256:' + 'c'.repeat(64), repoTags: ['docker.io/library/zz:1'], repoDigests: [] };
    const podman = new LocalImageIndex([a, b], PODMAN);
    assert.deepEqual(a.repoTags.map((t) => podman.displayName(t)), ['team/base:1', 'busybox:latest', 'pm/probe:2', 'zz:1', 'registry.example:5000/app:1']);
    assert.equal(podman.displayName('docker.io/library/zz:1'), 'docker.io/library/zz:1', '`zz:1` would find localhost/zz:1');
    const docker = new LocalImageIndex([{ id: a.id, repoTags: ['busybox:latest', 'localhost/team/base:1', 'team/base:1'], repoDigests: [] }]);
    assert.deepEqual(['busybox:latest', 'localhost/team/base:1', 'team/base:1'].map((t) => docker.displayName(t)), ['busybox:latest', 'localhost/team/base:1', 'team/base:1']);
  });
});

describe('image names for builds (core/tagname)', () => {
  it('tag prompt: a name that finds another image as the engine resolves names warns that the tag moves', () => {
    const base = { id: 'sha256:' + 'a'.repeat(64), repoTags: ['localhost/team/base:1'], repoDigests: [] };
    const app = { id: 'sha256:' + 'b'.repeat(64), repoTags: ['docker.io/library/app:1'], repoDigests: [] };
    const label = (i: { repoTags: readonly string[] }) => i.repoTags[0]!;
    const podman = new LocalImageIndex([base, app], PODMAN_DIALECT.names);
    assert.equal(tagMoveWarning('team/base:1', podman, app.id, label), `team/base:1 now names localhost/team/base:1 (${'a'.repeat(12)}); tagging moves it to this image.`);
    assert.equal(tagMoveWarning('team/base:1', podman, base.id, label), undefined, 'already this image');
    assert.equal(tagMoveWarning('team/base:2', podman, app.id, label), undefined, 'a free name');
    assert.equal(tagMoveWarning('team/base:1', new LocalImageIndex([base, app]), app.id, label), undefined, 'on Docker team/base:1 is docker.io/team/base:1: free');
    assert.equal(tagMoveWarning('x@sha256:' + '1'.repeat(64), podman, app.id, label), undefined);
  });

  it('derives a valid name from a folder', () => {
    assert.equal(deriveImageName('my app'), 'my-app:latest');
    assert.equal(deriveImageName('My_App.v2'), 'my_app.v2:latest');
    assert.equal(deriveImageName('  --Über Café!! '), 'uber-cafe:latest');
    assert.equal(deriveImageName('日本'), 'image:latest');
    assert.equal(deriveImageName('a__b...c'), 'a-b-c:latest');
    for (const f of ['my app', 'X', '.hidden', '___', 'a'.repeat(300)]) {
      assert.ok(tryParseReference(deriveImageName(f)), f);
    }
  });

  it('sanitises a typed name: repository lower-cased, tag case kept, registry port kept', () => {
    assert.equal(sanitizeImageName('MyApp:Dev'), 'myapp:Dev');
    assert.equal(sanitizeImageName('localhost:5000/My Team/App'), 'localhost:5000/my-team/app:latest');
    assert.equal(sanitizeImageName('app:bad tag!'), 'app:bad-tag-');
  });

  it('splits repo and tag for the tag/commit APIs (a registry port is not a tag)', () => {
    assert.deepEqual(splitRepoTag('my-app:Dev'), { repo: 'my-app', tag: 'Dev' });
    assert.deepEqual(splitRepoTag('localhost:5000/app'), { repo: 'localhost:5000/app', tag: 'latest' });
    assert.deepEqual(splitRepoTag('localhost:5000/app:1'), { repo: 'localhost:5000/app', tag: '1' });
  });

  it('validates with a message and a suggestion', () => {
    assert.equal(validateImageName('my-app:Dev').ok, true);
    const up = validateImageName('MyApp:Dev');
    assert.ok(!up.ok && /lowercase/.test(up.message) && up.suggestion === 'myapp:Dev');
    const dig = validateImageName('app@sha256:' + 'a'.repeat(64));
    assert.ok(!dig.ok && /digest/.test(dig.message));
    assert.equal(validateImageName('  ').ok, false);
  });
});

describe('word expansion (core/shellword)', () => {
  const vars = new Map<string, string | undefined>([['A', 'x'], ['E', ''], ['U', undefined]]);
  const cases: Array<[string, string, string[]]> = [
    ['$A', 'x', []],
    ['${A}y', 'xy', []],
    ['${E:-d}', 'd', []],
    ['${E-d}', '', []],
    ['${U-d}', 'd', []],
    ['${A:+alt}', 'alt', []],
    ['${U:+alt}', '', []],
    ['${NOPE:-${A}z}', 'xz', []],
    ['\\$A', '$A', []],
    ["'$A'", '$A', []],
    ['"$A"b', 'xb', []],
    ['$U', '', ['U']],
    ['${NOPE}:$U', ':', ['NOPE', 'U']],
    ['a$', 'a$', []],
  ];
  for (const [input, value, missing] of cases) {
    it(`${input} → ${JSON.stringify(value)}${missing.length ? ` missing ${missing}` : ''}`, () => {
      const r = expandWord(input, vars);
      assert.equal(r.value, value);
      assert.deepEqual(r.missing, missing);
    });
  }
  it('backtick escape', () => {
    assert.equal(expandWord('`$A', vars, '`').value, '$A');
    assert.equal(expandWord('C:\\x', vars, '`').value, 'C:\\x');
  });
  it('splits ARG words on unquoted whitespace', () => {
    assert.deepEqual(splitWords('A="x y" B=\'q r\' C D=a\\ b'), ['A="x y"', "B='q r'", 'C', 'D=a\\ b']);
  });
});

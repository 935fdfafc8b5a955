import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { contextId, nodeResolveIo, resolveCandidates, type ResolveInput } from '../../src/engine/resolve';

const FIXTURES = path.join(__dirname, 'fixtures', 'docker-config');
const HOME = '/home/tester';
const io = nodeResolveIo();

/** Resolver input over a fixture Docker config folder (or none) and an environment map. */
function input(env: Record<string, string | undefined>, extra: Partial<ResolveInput> = {}): ResolveInput {
  return { env, homeDir: HOME, platform: 'linux', uid: 1000, readFile: io.readFile, exists: io.exists, ...extra };
}
const cfg = (name: string) => path.join(FIXTURES, name);
/** A config folder that does not exist: no config.json, no contexts. */
const NO_CONFIG = path.join(FIXTURES, 'does-not-exist');

describe('engine/resolve resolveCandidates', () => {
  it('context ids are the SHA-256 of the name (docker CLI context store layout)', () => {
    assert.equal(contextId('remote-tls'), '23c8f454b38298f642b47a0456a0e58c24d1b48f79c40bd9bddac2451cd459e8');
  });

  it('nothing set: probes the usual sockets in order (system, rootless, Desktop, Podman)', () => {
    const r = resolveCandidates(input({ DOCKER_CONFIG: NO_CONFIG, XDG_RUNTIME_DIR: '/run/user/1000' }));
    assert.equal(r.explicit, false);
    assert.deepEqual(
      r.candidates.map((c) => [c.source, c.label, c.display]),
      [
        ['probe', 'Docker system socket', 'unix:///var/run/docker.sock'],
        ['probe', 'Docker system socket', 'unix:///run/docker.sock'],
        ['probe', 'Docker rootless', 'unix:///run/user/1000/docker.sock'],
        ['probe', 'Docker Desktop', 'unix:///home/tester/.docker/run/docker.sock'],
        ['probe', 'Docker Desktop', 'unix:///home/tester/.docker/desktop/docker.sock'],
        ['probe', 'Podman rootful', 'unix:///run/podman/podman.sock'],
        ['probe', 'Podman rootless', 'unix:///run/user/1000/podman/podman.sock'],
      ],
    );
  });

  it('rootless sockets fall back to /run/user/<uid> when XDG_RUNTIME_DIR is unset', () => {
    const r = resolveCandidates(input({ DOCKER_CONFIG: NO_CONFIG }, { uid: 1234 }));
    assert.ok(r.candidates.some((c) => c.display === 'unix:///run/user/1234/docker.sock'));
    assert.ok(r.candidates.some((c) => c.display === 'unix:///run/user/1234/podman/podman.sock'));
  });

  it('Windows probes the named pipes', () => {
    const r = resolveCandidates(input({ DOCKER_CONFIG: NO_CONFIG }, { platform: 'win32' }));
    assert.deepEqual(r.candidates.map((c) => c.display), ['npipe:////./pipe/docker_engine', 'npipe:////./pipe/podman-machine-default']);
  });

  it('precedence: setting beats DOCKER_HOST beats context beats probes, each used alone', () => {
    const all = { DOCKER_HOST: 'tcp://from-env:2375', DOCKER_CONFIG: cfg('ssh-context') };
    let r = resolveCandidates(input(all, { setting: 'unix:///custom.sock' }));
    assert.deepEqual(r.candidates.map((c) => [c.source, c.display]), [['setting', 'unix:///custom.sock']]);
    assert.equal(r.explicit, true);
    assert.match(r.notes.join('\n'), /DOCKER_HOST=tcp:\/\/from-env:2375 was not tried/);

    r = resolveCandidates(input(all));
    assert.deepEqual(r.candidates.map((c) => [c.source, c.display]), [['DOCKER_HOST', 'tcp://from-env:2375']]);
    assert.match(r.notes.join('\n'), /context 'builder' was not used: DOCKER_HOST takes precedence/);

    r = resolveCandidates(input({ DOCKER_CONFIG: cfg('ssh-context') }));
    assert.deepEqual(r.candidates.map((c) => [c.source, c.display]), [['context builder', 'ssh://deploy@builder.example.com:2222']]);
    assert.equal(r.explicit, true);
  });

  it('a blank setting or DOCKER_HOST counts as unset', () => {
    const r = resolveCandidates(input({ DOCKER_HOST: '  ', DOCKER_CONFIG: NO_CONFIG }, { setting: ' ' }));
    assert.equal(r.explicit, false);
    assert.equal(r.candidates[0].source, 'probe');
  });

  it('DOCKER_TLS_VERIFY + DOCKER_CERT_PATH give a verified TLS endpoint on port 2376', () => {
    const r = resolveCandidates(input({ DOCKER_HOST: 'tcp://docker.example.com', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' }));
    assert.deepEqual(r.candidates[0].endpoint, {
      kind: 'tcp',
      host: 'docker.example.com',
      port: 2376,
      tls: { verify: true, caFile: '/certs/ca.pem', certFile: '/certs/cert.pem', keyFile: '/certs/key.pem' },
    });
    assert.equal(r.candidates[0].display, 'tcp://docker.example.com:2376 (TLS)');
  });

  it('DOCKER_TLS_VERIFY without DOCKER_CERT_PATH uses the Docker config folder for the certificates', () => {
    const r = resolveCandidates(input({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: 'yes' }));
    const e = r.candidates[0].endpoint;
    assert.ok(e?.kind === 'tcp' && e.tls?.verify === true && e.tls.caFile === '/home/tester/.docker/ca.pem');
  });

  it('DOCKER_TLS_VERIFY=0 is off, DOCKER_TLS=1 encrypts without verifying, plain tcp has no TLS', () => {
    const off = resolveCandidates(input({ DOCKER_HOST: 'tcp://h', DOCKER_TLS_VERIFY: '0' })).candidates[0].endpoint;
    assert.deepEqual(off, { kind: 'tcp', host: 'h', port: 2375 });
    const enc = resolveCandidates(input({ DOCKER_HOST: 'tcp://h', DOCKER_TLS: '1', DOCKER_CERT_PATH: '/c' })).candidates[0].endpoint;
    assert.ok(enc?.kind === 'tcp' && enc.port === 2376 && enc.tls?.verify === false);
  });

  it('the TLS env also applies to the setting (like the docker CLI -H flag)', () => {
    const r = resolveCandidates(input({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/c' }, { setting: 'tcp://remote' }));
    assert.equal(r.candidates[0].display, 'tcp://remote:2376 (TLS)');
  });

  it('each DOCKER_HOST form becomes one explicit candidate', () => {
    const cases: Array<[string, string]> = [
      ['unix:///var/run/docker.sock', 'unix:///var/run/docker.sock'],
      ['tcp://127.0.0.1:2375', 'tcp://127.0.0.1:2375'],
      ['127.0.0.1:2375', 'tcp://127.0.0.1:2375'],
      ['ssh://me@box', 'ssh://me@box:22'],
      ['npipe:////./pipe/docker_engine', 'npipe:////./pipe/docker_engine'],
    ];
    for (const [raw, display] of cases) {
      const r = resolveCandidates(input({ DOCKER_HOST: raw }));
      assert.deepEqual(r.candidates.map((c) => [c.source, c.display, c.error]), [['DOCKER_HOST', display, undefined]], raw);
    }
  });

  it('a malformed DOCKER_HOST is a failed candidate with a clear message, not a throw, and nothing else is tried', () => {
    const r = resolveCandidates(input({ DOCKER_HOST: 'xyz://' }));
    assert.deepEqual(r.candidates, [
      { source: 'DOCKER_HOST', display: 'xyz://', error: "DOCKER_HOST 'xyz://' is not a supported address; use unix://, tcp://, ssh:// or npipe://" },
    ]);
    assert.equal(r.explicit, true);
  });

  it('tcp TLS context: meta.json endpoint plus the TLS material of the context store', () => {
    const r = resolveCandidates(input({ DOCKER_CONFIG: cfg('tls-context') }));
    const id = contextId('remote-tls');
    const tlsDir = path.join(cfg('tls-context'), 'contexts', 'tls', id, 'docker');
    assert.deepEqual(r.candidates, [
      {
        source: 'context remote-tls',
        display: 'tcp://docker.example.com:2376 (TLS)',
        endpoint: {
          kind: 'tcp',
          host: 'docker.example.com',
          port: 2376,
          tls: { verify: true, caFile: path.join(tlsDir, 'ca.pem'), certFile: path.join(tlsDir, 'cert.pem'), keyFile: path.join(tlsDir, 'key.pem') },
        },
      },
    ]);
    assert.match(r.notes[0], /from .*tls-context\/config\.json/);
  });

  it('SkipTLSVerify context without TLS files: TLS without verification, port 2376', () => {
    const r = resolveCandidates(input({ DOCKER_CONFIG: cfg('skip-tls-context') }));
    assert.deepEqual(r.candidates[0].endpoint, { kind: 'tcp', host: '10.0.0.5', port: 2376, tls: { verify: false } });
  });

  it('ssh context', () => {
    const r = resolveCandidates(input({ DOCKER_CONFIG: cfg('ssh-context') }));
    assert.deepEqual(r.candidates[0].endpoint, { kind: 'ssh', host: 'builder.example.com', port: 2222, username: 'deploy' });
  });

  it('DOCKER_CONTEXT overrides currentContext of config.json', () => {
    const r = resolveCandidates(input({ DOCKER_CONFIG: cfg('ssh-context'), DOCKER_CONTEXT: 'gone' }));
    assert.equal(r.candidates[0].source, 'context gone');
    assert.match(r.notes[0], /from DOCKER_CONTEXT/);
  });

  it('a context that does not exist is a failed candidate saying so, and nothing else is tried', () => {
    const r = resolveCandidates(input({ DOCKER_CONFIG: cfg('missing-context') }));
    assert.equal(r.candidates.length, 1);
    assert.equal(r.candidates[0].source, 'context gone');
    assert.equal(r.candidates[0].endpoint, undefined);
    assert.match(r.candidates[0].error ?? '', /^context 'gone' not found in .*missing-context\/contexts; run `docker context ls`/);
  });

  it('the context folder is shown with ~ when it is under the home folder', () => {
    const r = resolveCandidates(input({ DOCKER_CONTEXT: 'foo' }, { readFile: () => undefined }));
    assert.match(r.candidates[0].error ?? '', /^context 'foo' not found in ~\/\.docker\/contexts; run `docker context ls`/);
  });

  it("context 'default' means no context: the sockets are probed", () => {
    const r = resolveCandidates(input({ DOCKER_CONFIG: cfg('default-context') }));
    assert.equal(r.explicit, false);
    assert.equal(r.candidates[0].display, 'unix:///var/run/docker.sock');
  });

  it('a config.json that is not JSON is reported, and probing goes on', () => {
    const r = resolveCandidates(input({ DOCKER_CONFIG: cfg('broken-config') }));
    assert.equal(r.explicit, false);
    assert.match(r.candidates[0].error ?? '', /broken-config\/config\.json is not valid JSON/);
    assert.equal(r.candidates[1].display, 'unix:///var/run/docker.sock');
  });

  it('a context meta.json without a docker endpoint or with bad JSON is a failed candidate', () => {
    const metaFor = (text: string) => (file: string) => (file.endsWith('meta.json') ? text : undefined);
    let r = resolveCandidates(input({ DOCKER_CONTEXT: 'k8s' }, { readFile: metaFor('{"Name":"k8s","Endpoints":{}}') }));
    assert.match(r.candidates[0].error ?? '', /context 'k8s' has no docker endpoint/);
    r = resolveCandidates(input({ DOCKER_CONTEXT: 'x' }, { readFile: metaFor('{') }));
    assert.match(r.candidates[0].error ?? '', /context 'x': .*meta\.json is not valid JSON/);
    r = resolveCandidates(input({ DOCKER_CONTEXT: 'x' }, { readFile: metaFor('{"Endpoints":{"docker":{"Host":"bogus://h"}}}') }));
    assert.match(r.candidates[0].error ?? '', /context 'x' host 'bogus:\/\/h' is not a supported address/);
  });
});

import * as assert from 'node:assert/strict';
import { formatEndpoint, parseEngineHost, type EngineEndpoint } from '../../src/engine/endpoint';

function ok(raw: string, tls?: Parameters<typeof parseEngineHost>[2]): EngineEndpoint {
  const r = parseEngineHost(raw, 'DOCKER_HOST', tls);
  if (!r.ok) assert.fail(`expected '${raw}' to parse, got: ${r.error}`);
  return r.endpoint;
}
function bad(raw: string): string {
  const r = parseEngineHost(raw, 'DOCKER_HOST');
  if (r.ok) assert.fail(`expected '${raw}' to be rejected, got ${JSON.stringify(r.endpoint)}`);
  return r.error;
}

describe('engine/endpoint parseEngineHost (DOCKER_HOST forms)', () => {
  it('unix:// with a path, and without one (system socket)', () => {
    assert.deepEqual(ok('unix:///run/user/1000/docker.sock'), { kind: 'unix', socketPath: '/run/user/1000/docker.sock' });
    assert.deepEqual(ok('unix://'), { kind: 'unix', socketPath: '/var/run/docker.sock' });
    assert.deepEqual(ok('  unix:///var/run/docker.sock \n'), { kind: 'unix', socketPath: '/var/run/docker.sock' });
  });

  it('an absolute path means a unix socket', () => {
    assert.deepEqual(ok('/var/run/docker.sock'), { kind: 'unix', socketPath: '/var/run/docker.sock' });
  });

  it('tcp:// without TLS defaults to port 2375', () => {
    assert.deepEqual(ok('tcp://10.1.2.3'), { kind: 'tcp', host: '10.1.2.3', port: 2375 });
    assert.deepEqual(ok('tcp://docker.example.com:12375'), { kind: 'tcp', host: 'docker.example.com', port: 12375 });
    assert.deepEqual(ok('tcp://:2375'), { kind: 'tcp', host: 'localhost', port: 2375 });
    assert.deepEqual(ok('tcp://[::1]:2375'), { kind: 'tcp', host: '::1', port: 2375 });
    assert.deepEqual(ok('tcp://host:2375/'), { kind: 'tcp', host: 'host', port: 2375 });
  });

  it('tcp:// with TLS defaults to port 2376 and keeps the TLS settings', () => {
    const tls = { verify: true, caFile: '/c/ca.pem', certFile: '/c/cert.pem', keyFile: '/c/key.pem' };
    assert.deepEqual(ok('tcp://docker.example.com', tls), { kind: 'tcp', host: 'docker.example.com', port: 2376, tls });
    assert.equal(formatEndpoint(ok('tcp://docker.example.com', tls)), 'tcp://docker.example.com:2376 (TLS)');
    assert.equal(formatEndpoint(ok('tcp://h:1', { verify: false })), 'tcp://h:1 (TLS, not verified)');
  });

  it('a bare host:port (no scheme) means tcp', () => {
    assert.deepEqual(ok('127.0.0.1:2375'), { kind: 'tcp', host: '127.0.0.1', port: 2375 });
    assert.deepEqual(ok('dockerhost'), { kind: 'tcp', host: 'dockerhost', port: 2375 });
  });

  it('ssh://user@host[:port]', () => {
    assert.deepEqual(ok('ssh://deploy@builder.example.com'), { kind: 'ssh', host: 'builder.example.com', port: 22, username: 'deploy' });
    assert.deepEqual(ok('ssh://deploy@builder.example.com:2222'), { kind: 'ssh', host: 'builder.example.com', port: 2222, username: 'deploy' });
    assert.deepEqual(ok('ssh://builder'), { kind: 'ssh', host: 'builder', port: 22 });
    assert.equal(formatEndpoint(ok('ssh://deploy@b:2222')), 'ssh://deploy@b:2222');
  });

  it('npipe:// (Windows named pipe)', () => {
    assert.deepEqual(ok('npipe:////./pipe/docker_engine'), { kind: 'npipe', pipePath: '//./pipe/docker_engine' });
    assert.deepEqual(ok('npipe://'), { kind: 'npipe', pipePath: '//./pipe/docker_engine' });
    assert.deepEqual(ok('npipe://\\\\.\\pipe\\podman-machine-default'), { kind: 'npipe', pipePath: '//./pipe/podman-machine-default' });
    assert.equal(formatEndpoint(ok('npipe://')), 'npipe:////./pipe/docker_engine');
  });

  it('rejects unsupported schemes with the accepted forms, never throws', () => {
    assert.equal(bad('xyz://'), "DOCKER_HOST 'xyz://' is not a supported address; use unix://, tcp://, ssh:// or npipe://");
    assert.match(bad('fd://'), /daemon listens on/);
    assert.match(bad('http://host:2375'), /write tcp:\/\/host:2375 instead/);
    assert.match(bad('tcp://host:notaport'), /port 'notaport' is not a number/);
    assert.match(bad('tcp://host:70000'), /port '70000'/);
    assert.match(bad('tcp://::1:2375'), /brackets/);
    assert.match(bad('tcp://ho st'), /not a host name/);
    assert.match(bad('tcp://host:2375/some/path'), /path after the host/);
    assert.match(bad('unix://relative.sock'), /must be absolute/);
    assert.match(bad('ssh://'), /no host/);
    assert.match(bad('ssh://user:secret@host'), /passwords/);
    assert.match(bad('npipe://C:/x'), /named pipe looks like/);
    assert.match(bad(''), /empty/);
  });
});

/**
 * What `scripts/podman.sh` leaves on the machine: Podman's compat API on a private socket, with a
 * private configuration and storage (never /var/lib/containers, never the Docker engine), the
 * Docker engine's images under the same IDs, no host networking changed, Docker still running
 * containers on its bridge, and a second run that changes nothing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Docker from 'dockerode';
import type { EngineConnection } from '../../src/engine/connection';
import { DOCKER, PODMAN, podmanHost } from './engines';

const ROOT = path.resolve(__dirname, '..', '..');

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 16 << 20, timeout: 600_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('scripts/podman.sh: a private Podman beside the Docker engine', function () {
  this.timeout(600_000);
  let podman: { engine: EngineConnection; docker: Docker };
  let docker: { engine: EngineConnection; docker: Docker };
  let socket: string;

  before(async () => {
    socket = (await podmanHost()).replace(/^unix:\/\//, '');
    podman = await PODMAN.connect();
    docker = await DOCKER.connect();
  });

  after(() => {
    podman?.engine.dispose();
    docker?.engine.dispose();
  });

  it('the service answers as Podman on its own socket, with its own configuration and storage', async () => {
    const state = podman.engine.state;
    assert.ok(state.kind === 'connected');
    assert.match(state.info.title, /^Podman \d/);
    assert.equal(state.info.kind, 'podman');
    assert.match(state.info.builderVersion ?? '', /^\d+\.\d+/, 'Buildah\'s version from the Libpod-Buildah-Version ping header');
    const dir = path.dirname(socket);
    const pid = Number(fs.readFileSync(path.join(dir, 'service.pid'), 'utf8'));
    const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    for (const v of ['CONTAINERS_CONF', 'CONTAINERS_STORAGE_CONF', 'CONTAINERS_REGISTRIES_CONF']) {
      const set = env.find((e) => e.startsWith(`${v}=`));
      assert.ok(set?.startsWith(`${v}=${dir}/`), `${v} of the service: ${set}`);
    }
    const info = (await podman.docker.info()) as { DockerRootDir?: string };
    assert.equal(info.DockerRootDir, path.join(dir, 'storage'), 'images are stored in the private folder');
    const conf = fs.readFileSync(path.join(dir, 'containers.conf'), 'utf8');
    for (const line of ['runtime = "runc"', 'cgroup_manager = "cgroupfs"', 'events_logger = "file"']) assert.ok(conf.includes(line), line);
  });

  it('Podman holds the Docker engine\'s base and sample images under the same IDs', async () => {
    for (const ref of ['busybox:latest', 'lineage-sample/base:1.0', 'lineage-sample/grandchild:1.0']) {
      const [d, p] = await Promise.all([docker.docker.getImage(ref).inspect(), podman.docker.getImage(ref).inspect()]);
      assert.equal(p.Id, d.Id, ref);
      assert.ok(p.RepoTags?.includes(`localhost/${ref}`), `Podman names it localhost/${ref}: ${p.RepoTags?.join(', ')}`);
    }
  });

  it('a second run changes nothing: same service, no image loaded', async () => {
    const dir = path.dirname(socket);
    const pidBefore = fs.readFileSync(path.join(dir, 'service.pid'), 'utf8');
    const r = await run('bash', [path.join(ROOT, 'scripts', 'podman.sh')]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /service answers at unix:\/\//);
    assert.match(r.stdout, /Podman already holds \d+ image\(s\) with the Docker engine's IDs/);
    assert.doesNotMatch(r.stdout, /started podman system service|loading /);
    assert.equal(fs.readFileSync(path.join(dir, 'service.pid'), 'utf8'), pidBefore);
  });

  it('host networking is Docker\'s alone: no CNI bridge or iptables chain from Podman, and Docker still runs containers on its bridge', async () => {
    // A created Podman container stays off the network: its start fails before any plugin runs.
    const c = await podman.docker.createContainer({ Image: 'busybox:latest', Cmd: ['true'], Labels: { 'io.container-lineage.test': 'podman-script' } });
    try {
      await assert.rejects(c.start(), /failed to find plugin|rlimit|operation not permitted/);
    } finally {
      await c.remove({ force: true });
    }
    const links = await run('ip', ['-br', 'link']);
    assert.doesNotMatch(links.stdout, /cni-podman|podman\d/);
    const rules = await run('iptables-save', []);
    assert.equal(rules.code, 0, rules.stderr);
    assert.doesNotMatch(rules.stdout, /CNI-/);
    const bridge = await run('docker', ['run', '--rm', '--network', 'bridge', '--label', 'io.container-lineage.test=podman-script', 'busybox:latest', 'sh', '-c', 'ip -4 addr show eth0 | grep -c inet']);
    assert.equal(bridge.code, 0, bridge.stderr);
    assert.equal(bridge.stdout.trim(), '1');
  });

  it('--help describes it; an unknown option exits 2', async () => {
    const help = await run('bash', [path.join(ROOT, 'scripts', 'podman.sh'), '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /A private Podman for the tests/);
    const bad = await run('bash', [path.join(ROOT, 'scripts', 'podman.sh'), '--nope']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown option '--nope'/);
  });
});

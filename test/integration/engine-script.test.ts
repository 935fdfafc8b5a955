/**
 * What `scripts/engine.sh` and `scripts/build-samples.sh` leave on the real engine: an engine that
 * answers, the offline busybox base (labelled, runnable), the lineage-sample family with the
 * expected layer-prefix lineage, and a second engine.sh run that changes nothing.
 * Containers and images made here carry `io.container-lineage.test=engine-script` or a unique tag,
 * and are removed in after hooks.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { EngineConnection } from '../../src/engine/connection';

const ROOT = path.resolve(__dirname, '..', '..');
const ENGINE_SH = path.join(ROOT, 'scripts', 'engine.sh');
const TEST_LABEL = 'io.container-lineage.test';
const BASE_LABEL = 'io.container-lineage.base';
const RECIPE_LABEL = 'io.container-lineage.recipe';
const SUITE = 'engine-script';

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `bash SCRIPT ARGS` (default scripts/engine.sh) with extra environment, as `user` when given
 * (through runuser; needs root); never rejects.
 */
function engineSh(args: string[], env: NodeJS.ProcessEnv = {}, user?: string, script = ENGINE_SH): Promise<RunResult> {
  const argv = user ? ['runuser', '-u', user, '--', 'bash', script, ...args] : ['bash', script, ...args];
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { cwd: ROOT, env: { ...process.env, ...env }, timeout: 300_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Run CMD in a fresh container of IMAGE (TTY, so the log is plain text); returns exit code and output. */
async function runIn(docker: Docker, image: string, cmd: string[]): Promise<{ code: number; output: string }> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    Tty: true,
    Labels: { [TEST_LABEL]: SUITE },
    name: `cl-${SUITE}-${randomBytes(4).toString('hex')}`,
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const log = await container.logs({ stdout: true, stderr: true, follow: false });
    return { code: StatusCode, output: Buffer.isBuffer(log) ? log.toString('utf8') : String(log) };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** Tag a copy of IMAGE as TAG with LABELS (an empty value removes the label), via a commit of a created container. */
async function commitFrom(image: string, tag: string, labels: Record<string, string>): Promise<void> {
  const docker = new EngineConnection({});
  await docker.connect();
  const d = docker.docker();
  const container = await d.createContainer({ Image: image, Cmd: ['true'], Labels: { [TEST_LABEL]: SUITE } });
  try {
    const [repo, version] = tag.split(':');
    const changes = Object.entries(labels).map(([k, v]) => `LABEL ${k}="${v}"`);
    await container.commit({ repo, tag: version, changes });
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
    docker.dispose();
  }
}

async function layers(docker: Docker, image: string): Promise<string[]> {
  return (await docker.getImage(image).inspect()).RootFS.Layers ?? [];
}

/** The PID in dockerd's pid file, when this test talks to the system socket and the file exists. */
function systemDockerdPid(): number | undefined {
  if (process.env.DOCKER_HOST) return undefined;
  try {
    return Number(fs.readFileSync('/var/run/docker.pid', 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

describe('scripts/engine.sh and the sample family on the real engine', function () {
  this.timeout(180_000);
  let engine: EngineConnection;
  let docker: Docker;
  /** Tags and image IDs made here, removed after the suite. */
  const madeTags: string[] = [];

  before(async function () {
    engine = new EngineConnection({});
    const state = await engine.connect();
    assert.equal(state.kind, 'connected', 'no engine answers: run bash scripts/engine.sh');
    docker = engine.docker();
  });

  after(async function () {
    for (const tag of madeTags) await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
    engine.dispose();
  });

  it('the engine answers /_ping', async function () {
    const answer = await docker.ping();
    assert.equal(String(answer), 'OK');
  });

  it('busybox:latest is the labelled offline base and runs /bin/sh', async function () {
    const info = await docker.getImage('busybox:latest').inspect();
    assert.equal(info.Config.Labels?.[BASE_LABEL], 'busybox');
    assert.deepEqual(info.Config.Cmd, ['/bin/sh']);
    assert.equal(info.RootFS.Layers?.length, 1, 'an imported base has exactly one layer');
    const { code, output } = await runIn(docker, 'busybox:latest', ['/bin/sh', '-c', 'echo ok']);
    assert.equal(code, 0);
    assert.equal(output.trim(), 'ok');
  });

  it('a container on the default bridge reaches Debian\'s package mirror', async function () {
    const container = await docker.createContainer({
      Image: 'busybox:latest',
      Cmd: ['wget', '-q', '-O', '-', 'http://deb.debian.org/debian/dists/bookworm/Release'],
      Tty: true,
      Labels: { [TEST_LABEL]: SUITE },
      name: `cl-${SUITE}-net-${randomBytes(4).toString('hex')}`,
    });
    try {
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      const log = String(await container.logs({ stdout: true, stderr: true, follow: false }));
      assert.equal(StatusCode, 0, log.slice(0, 500));
      assert.match(log, /^Origin: Debian/m);
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  });

  describe('the lineage-sample family (scripts/build-samples.sh)', function () {
    const pairs: Array<[parent: string, child: string]> = [
      ['busybox:latest', 'lineage-sample/base:1.0'],
      ['lineage-sample/base:1.0', 'lineage-sample/child:1.0'],
      ['lineage-sample/child:1.0', 'lineage-sample/grandchild:1.0'],
      ['lineage-sample/base:1.0', 'lineage-sample/committed:1.0'],
      ['busybox:latest', 'lineage-sample/multistage:1.0'],
      ['busybox:latest', 'lineage-sample/web:1.0'],
    ];
    for (const [parent, child] of pairs) {
      it(`${child} starts with all layers of ${parent}, and adds some`, async function () {
        const p = await layers(docker, parent);
        const c = await layers(docker, child);
        assert.ok(p.length > 0);
        assert.ok(c.length > p.length, `${child} has ${c.length} layers, ${parent} ${p.length}`);
        assert.deepEqual(c.slice(0, p.length), p);
      });
    }

    it('siblings do not contain each other: multistage is not below base, committed is not below child', async function () {
      const base = await layers(docker, 'lineage-sample/base:1.0');
      const multistage = await layers(docker, 'lineage-sample/multistage:1.0');
      const child = await layers(docker, 'lineage-sample/child:1.0');
      const committed = await layers(docker, 'lineage-sample/committed:1.0');
      assert.notDeepEqual(multistage.slice(0, base.length), base);
      assert.notDeepEqual(committed.slice(0, child.length), child);
    });

    it('the committed image (docker commit) has the engine Parent field set to the base', async function () {
      const base = await docker.getImage('lineage-sample/base:1.0').inspect();
      const committed = await docker.getImage('lineage-sample/committed:1.0').inspect();
      assert.equal(committed.Parent, base.Id);
      assert.equal(committed.Config.Labels?.['io.container-lineage.sample'], 'committed');
    });

    it('the grandchild runs and shows the configuration every generation added', async function () {
      const { code, output } = await runIn(docker, 'lineage-sample/grandchild:1.0', []);
      assert.equal(code, 0, output);
      assert.match(output, /conf\.d\/child\.conf/);
      assert.match(output, /level: grandchild, user: app/);
    });

    it('the Debian sample (engine.sh --debian, build-samples.sh --debian) has jq from the mirror', async function () {
      const present = await docker.getImage('lineage-sample/debian:1.0').inspect().then(() => true, () => false);
      assert.ok(present, 'lineage-sample/debian:1.0 is missing: npm test runs engine.sh --debian and build-samples.sh --debian first');
      const p = await layers(docker, 'debian:bookworm');
      const c = await layers(docker, 'lineage-sample/debian:1.0');
      assert.deepEqual(c.slice(0, p.length), p);
      const { code, output } = await runIn(docker, 'lineage-sample/debian:1.0', ['jq', '--version']);
      assert.equal(code, 0, output);
      assert.match(output, /^jq-1\./);
    });

    it('the base build context honoured samples/base/.dockerignore', async function () {
      assert.ok(fs.existsSync(path.join(ROOT, 'samples/base/app/debug.log')), 'the excluded file exists in the workspace');
      const { code, output } = await runIn(docker, 'lineage-sample/base:1.0', ['ls', '/opt/app']);
      assert.equal(code, 0, output);
      assert.match(output, /hello\.sh/);
      assert.doesNotMatch(output, /debug\.log/);
    });
  });

  describe('idempotence and the paths that start nothing', function () {
    it('a second run of engine.sh changes nothing: same base image, same dockerd', async function () {
      const before = await docker.getImage('busybox:latest').inspect();
      const pid = systemDockerdPid();
      const run = await engineSh([]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /busybox:latest present .*left as is/);
      assert.doesNotMatch(run.stdout, /starting dockerd|installing|creating/);
      const after = await docker.getImage('busybox:latest').inspect();
      assert.equal(after.Id, before.Id);
      if (pid !== undefined) {
        assert.equal(systemDockerdPid(), pid, 'dockerd was restarted');
        assert.doesNotThrow(() => process.kill(pid, 0), 'dockerd is still running');
      }
    });

    it('imports a missing busybox base under another tag, and leaves it alone on a rerun', async function () {
      const tag = `cl-enginetest-busybox-${randomBytes(4).toString('hex')}:latest`;
      madeTags.push(tag);
      const first = await engineSh([], { CONTAINER_LINEAGE_BUSYBOX_IMAGE: tag });
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, new RegExp(`created ${tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      const made = await docker.getImage(tag).inspect();
      assert.equal(made.Config.Labels?.[BASE_LABEL], 'busybox');
      const { code, output } = await runIn(docker, tag, ['/bin/sh', '-c', 'echo ok && test -d /tmp && grep -q "^nobody:" /etc/passwd']);
      assert.equal(code, 0, output);
      assert.equal(output.trim(), 'ok');

      const second = await engineSh([], { CONTAINER_LINEAGE_BUSYBOX_IMAGE: tag });
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /left as is/);
      assert.equal((await docker.getImage(tag).inspect()).Id, made.Id);
    });

    it('a labelled base from another recipe is re-made; an unlabelled image under the tag is left alone', async function () {
      const suffix = randomBytes(4).toString('hex');
      const stale = `cl-enginetest-stale-${suffix}:latest`;
      const foreign = `cl-enginetest-foreign-${suffix}:latest`;
      madeTags.push(stale, foreign);
      // Stand-ins: busybox:latest re-tagged, one with the base label but no recipe, one without labels.
      await commitFrom('busybox:latest', stale, { [BASE_LABEL]: 'busybox', [RECIPE_LABEL]: '' });
      await commitFrom('busybox:latest', foreign, { [BASE_LABEL]: '' });
      const staleId = (await docker.getImage(stale).inspect()).Id;
      madeTags.push(staleId); // left untagged when the tag moves to the re-made image
      const foreignId = (await docker.getImage(foreign).inspect()).Id;

      const remade = await engineSh([], { CONTAINER_LINEAGE_BUSYBOX_IMAGE: stale });
      assert.equal(remade.code, 0, remade.stderr);
      assert.match(remade.stdout, /was made by recipe 'none'.*making it again/);
      const after = await docker.getImage(stale).inspect();
      assert.notEqual(after.Id, staleId);
      assert.ok(after.Config.Labels?.[RECIPE_LABEL], 'the re-made image carries the recipe label');

      const kept = await engineSh([], { CONTAINER_LINEAGE_BUSYBOX_IMAGE: foreign });
      assert.equal(kept.code, 0, kept.stderr);
      assert.match(kept.stderr, /exists without label io\.container-lineage\.base=busybox.*left as is/);
      assert.equal((await docker.getImage(foreign).inspect()).Id, foreignId);
    });

    it('--dry-run shows what it would do and changes nothing', async function () {
      const tag = `cl-enginetest-missing-${randomBytes(4).toString('hex')}:latest`;
      const run = await engineSh(['--dry-run'], { CONTAINER_LINEAGE_BUSYBOX_IMAGE: tag });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /\[dry-run\] would import a busybox rootfs/);
      await assert.rejects(docker.getImage(tag).inspect(), /no such image/i);
    });

    it('a DOCKER_HOST that does not answer is reported, and nothing is started', async function () {
      const run = await engineSh([], { DOCKER_HOST: 'tcp://127.0.0.1:1' });
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /DOCKER_HOST=tcp:\/\/127\.0\.0\.1:1 does not answer/);
      assert.doesNotMatch(run.stdout, /starting dockerd/);
    });

    it('without root and without an engine it says what to install', async function () {
      assert.equal(process.getuid?.(), 0, 'run as root (as npm test on CI does): the test switches to an unprivileged user');
      const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'cl-enginetest-'));
      fs.chmodSync(cache, 0o777);
      try {
        // A copy the unprivileged user can read wherever the clone lives.
        const script = path.join(cache, 'engine.sh');
        fs.copyFileSync(ENGINE_SH, script);
        fs.chmodSync(script, 0o755);
        fs.mkdirSync(path.join(cache, 'lib'));
        fs.copyFileSync(path.join(path.dirname(ENGINE_SH), 'lib', 'apt.sh'), path.join(cache, 'lib', 'apt.sh'));
        const run = await engineSh(
          [],
          { CONTAINER_LINEAGE_CACHE: cache, CONTAINER_LINEAGE_DOCKER_SOCKET: path.join(cache, 'nothing.sock'), DOCKER_HOST: '', HOME: cache },
          'nobody',
          script,
        );
        assert.equal(run.code, 1, run.stdout + run.stderr);
        assert.match(run.stderr, /no container engine answers at unix:\/\/.*nothing\.sock/);
        assert.match(run.stderr, /apt-get install docker\.io/);
        assert.equal(fs.existsSync(path.join(cache, 'dockerd.log')), false, 'no dockerd was started');
      } finally {
        fs.rmSync(cache, { recursive: true, force: true });
      }
    });
  });
});

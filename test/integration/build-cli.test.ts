/**
 * `container-lineage build` as a process against the real engine: the same build as the editor
 * (plain progress on stderr, result on stdout, --json), and its exit codes: 0 built, 1 no engine,
 * 2 bad usage, 3 build failed, 130 cancelled (SIGINT during a long RUN, no tag left).
 */
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuildSuite } from './buildHelpers';
import { cli } from './helpers-cli';
import type { BuildJson } from '../../src/cli/build';
import { listWorkingContainers } from '../../src/engine/builders/buildah';
import { PODMAN } from './engines';

describe('CLI: container-lineage build (real engine)', function () {
  this.timeout(180_000);
  const s = new BuildSuite('build-cli');
  const label = `--label=io.container-lineage.test=build-cli`;
  /** The recipe store of these builds: a folder of the suite's, never the user's. */
  let state: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    await s.connect();
    state = s.contextDir();
    env = { ...process.env, XDG_STATE_HOME: state };
  });
  after(() => s.cleanup());

  it('builds CONTEXT/Dockerfile with BuildKit, streams plain progress to stderr, prints the image ID; --json has the result', async () => {
    const dir = s.contextDir();
    writeFileSync(join(dir, 'Dockerfile'), `FROM busybox:latest\nRUN echo cli-${s.suffix}\n`);
    const tag = s.tag('ok');
    const r = await cli(['build', '-t', tag, label, '--network', 'none', dir], undefined, undefined, { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^Builder: BuildKit \(/m);
    assert.match(r.stderr, new RegExp(`^#\\d+ \\[2/2\\] RUN echo cli-${s.suffix}$`, 'm'));
    assert.match(r.stderr, new RegExp(`^#\\d+ \\d+\\.\\d{3} cli-${s.suffix}$`, 'm'));
    const [id, shown] = r.stdout.trim().split(' ');
    assert.equal(shown, tag);
    const img = await s.docker.getImage(tag).inspect();
    assert.equal(img.Id, id);
    // the editor's build: base labels in the image, the recipe in the store (with the builder that ran it)
    assert.equal(img.Config.Labels?.['org.opencontainers.image.base.name'], 'docker.io/library/busybox:latest');
    const recipes = join(state, 'container-lineage', 'recipes.json');
    assert.ok(existsSync(recipes), 'a recipe was recorded');
    const book = JSON.parse(readFileSync(recipes, 'utf8')) as { images: Record<string, { context: string; builder: string; tag?: string }> };
    assert.deepEqual([book.images[id!]?.context, book.images[id!]?.builder, book.images[id!]?.tag], [dir, 'buildkit', tag]);
    const j = await cli(['build', '--json', '-t', tag, label, '--builder', 'classic', '--network', 'none', dir], undefined, undefined, { env });
    assert.equal(j.code, 0, j.stderr);
    const json = JSON.parse(j.stdout) as BuildJson;
    assert.equal(json.ok, true);
    assert.equal(json.builder, 'classic');
    assert.equal(json.tag, tag);
    assert.match(json.imageId!, /^sha256:/);
    assert.match(j.stderr, /^Step 2\/\d : RUN echo cli-/m);
  });

  it('a failing build exits 3 with its line (-f elsewhere, build args, target)', async () => {
    const dir = s.contextDir();
    const file = join(s.contextDir(), 'Other.Dockerfile');
    writeFileSync(file, 'FROM busybox:latest AS a\nARG CODE\nRUN exit $CODE\nFROM a AS b\n');
    const r = await cli(['build', '--json', '-f', file, '--build-arg', 'CODE=4', '--target', 'a', '-t', s.tag('fails'), label, '--network', 'none', dir], undefined, undefined, { env });
    assert.equal(r.code, 3, r.stderr);
    const json = JSON.parse(r.stdout) as BuildJson;
    assert.equal(json.failedLine, 3);
    assert.equal(json.failedStep, '[a 2/2] RUN exit 4', 'the frontend names the step with its build args expanded');
    assert.match(json.error!, /exit code: 4/);
    assert.match(r.stderr, new RegExp(`Build failed \\(${file.replace(/[.]/g, '\\.')}:3\\)`));
    assert.equal(await s.tagExists(s.tag('fails')), false);
  });

  it('SIGINT during a long RUN exits 130 with no tag', async () => {
    const dir = s.contextDir();
    writeFileSync(join(dir, 'Dockerfile'), `FROM busybox:latest\nRUN echo sleeping-${s.suffix}; sleep 300\n`);
    let pid = 0;
    let interrupted = false;
    const tag = s.tag('sigint');
    // interrupt once the step has printed (the RUN is running)
    const running = cli(['build', '-t', tag, label, '--network', 'none', '--no-cache', dir], (p) => (pid = p), undefined, {
      env,
      onStderr: (soFar) => {
        if (!interrupted && soFar.includes(`sleeping-${s.suffix}\n`) && /\d\.\d{3} sleeping-/.test(soFar)) {
          interrupted = true;
          setTimeout(() => process.kill(pid, 'SIGINT'), 300);
        }
      },
    });
    const r = await running;
    assert.equal(interrupted, true, 'the RUN started');
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /cancelling, stopping the build/);
    assert.match(r.stderr, /Build cancelled; no tag applied/);
    assert.equal(await s.tagExists(tag), false);
  });

  it('bad usage exits 2, no engine exits 1', async () => {
    assert.equal((await cli(['build'], undefined, undefined, { env })).code, 2);
    assert.equal((await cli(['build', '--builder', 'nope', '.'], undefined, undefined, { env })).code, 2);
    assert.equal((await cli(['build', '-t', 'Bad:Name:x', '.'], undefined, undefined, { env })).code, 2);
    assert.equal((await cli(['build', '-f', '/no/such/Dockerfile', '.'], undefined, undefined, { env })).code, 2);
    const dir = s.contextDir();
    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox:latest\n');
    const none = await cli(['build', dir], undefined, undefined, { env: { ...env, DOCKER_HOST: 'tcp://127.0.0.1:1' } });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no container engine answered/);
  });
});

/**
 * The same command against the private Podman (scripts/podman.sh) through its ordinary engine
 * selection, DOCKER_HOST=unix://…/podman.sock: Buildah builds (RUN steps included: Buildah runs
 * them here although Podman cannot start containers), exit codes as on Docker.
 */
describe('CLI: container-lineage build against Podman (DOCKER_HOST, Buildah)', function () {
  this.timeout(180_000);
  const s = new BuildSuite('build-cli');
  const label = `--label=io.container-lineage.test=build-cli`;
  let env: NodeJS.ProcessEnv;
  let state: string;
  before(async () => {
    await s.connect(PODMAN);
    state = s.contextDir();
    env = { ...process.env, DOCKER_HOST: s.host, CONTAINER_LINEAGE_ENGINE_HOST: '', XDG_STATE_HOME: state };
  });
  after(() => s.cleanup());

  it('builds with Buildah: its STEP lines on stderr, the image ID and tag on stdout, base labels, the recipe names buildah', async () => {
    const dir = s.contextDir();
    writeFileSync(join(dir, 'Dockerfile'), `FROM busybox:latest\nRUN echo "cli-""${s.suffix}"\n`);
    const tag = s.tag('pm-ok');
    const r = await cli(['build', '-t', tag, label, '--network', 'none', dir], undefined, undefined, { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^Builder: Buildah \(Buildah: Podman 4\.\d+\.\d+ builds with it\)$/m);
    assert.match(r.stderr, /^STEP 2\/\d+: RUN echo "cli-""/m);
    assert.match(r.stderr, new RegExp(`^cli-${s.suffix}$`, 'm'));
    assert.match(r.stderr, /^Built \S+ with Buildah in /m);
    const [id, shown] = r.stdout.trim().split(' ');
    assert.equal(shown, tag);
    const img = await s.docker.getImage(tag).inspect();
    assert.equal(img.Id, id);
    assert.match(img.Config.Labels?.['org.opencontainers.image.base.name'] ?? '', /busybox:latest$/);
    const book = JSON.parse(readFileSync(join(state, 'container-lineage', 'recipes.json'), 'utf8')) as { images: Record<string, { builder: string }> };
    assert.equal(book.images[id!]?.builder, 'buildah');
    const bk = await cli(['build', '--builder', 'buildkit', dir], undefined, undefined, { env });
    assert.equal(bk.code, 3);
    assert.match(bk.stderr, /builds with Buildah and ignores BuildKit requests/);
  });

  it('a failing build exits 3 with its line and leaves no tag', async () => {
    const dir = s.contextDir();
    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox:latest AS a\nARG CODE\nRUN exit $CODE\nFROM a AS b\n');
    const tag = s.tag('pm-fails');
    const r = await cli(['build', '--json', '--build-arg', 'CODE=4', '--target', 'a', '-t', tag, label, '--network', 'none', dir], undefined, undefined, { env });
    assert.equal(r.code, 3, r.stderr);
    const json = JSON.parse(r.stdout) as BuildJson;
    assert.equal(json.builder, 'buildah');
    assert.equal(json.failedLine, 3);
    assert.match(json.failedStep!, /^STEP 3\/\d+: RUN exit \$CODE$/);
    assert.match(json.error!, /exit status 4/);
    assert.equal(await s.tagExists(tag), false);
  });

  it('SIGINT during a long RUN exits 130 with no tag and no Buildah working container left', async () => {
    const dir = s.contextDir();
    writeFileSync(join(dir, 'Dockerfile'), `FROM busybox:latest\nRUN echo "sleep""ing-${s.suffix}"; sleep 25\n`);
    const before = new Set((await listWorkingContainers(s.docker)).map((c) => c.Id));
    let pid = 0;
    let interrupted = false;
    const tag = s.tag('pm-sigint');
    const r = await cli(['build', '-t', tag, label, '--network', 'none', '--no-cache', dir], (p) => (pid = p), undefined, {
      env,
      onStderr: (soFar) => {
        if (!interrupted && new RegExp(`^sleeping-${s.suffix}$`, 'm').test(soFar)) {
          interrupted = true;
          setTimeout(() => process.kill(pid, 'SIGINT'), 300);
        }
      },
    });
    assert.equal(interrupted, true, r.stderr);
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /Build cancelled; no tag applied/);
    assert.equal(await s.tagExists(tag), false);
    assert.deepEqual((await listWorkingContainers(s.docker)).filter((c) => !before.has(c.Id)).map((c) => c.Id), []);
  });
});

// bench/build: our BuildKit build path (runBuild, as the editor and `container-lineage build` run
// it: /_ping, context packed and sent as the request body, no session) against the docker CLI with
// BuildKit (`DOCKER_BUILDKIT=1 docker build`, which opens a session and streams the context through
// it) on the same multi-step Dockerfile, in the same run, cold cache (--no-cache) and warm cache
// (everything cached); and the classic builder against BuildKit on the same file. Alternating
// order, medians of N runs, printed as ratios (the machine is shared: only same-run ratios count).
// Usage: node --import tsx bench/build.ts [--runs N] [--cli PATH]   (npm run bench -- build)
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineConnection } from '../src/engine/connection';
import { runBuild, type BuildRun } from '../src/engine/builders';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const RUNS = Number(arg('--runs') ?? 5);
const LABEL = 'io.container-lineage.test=bench-build';
const suffix = randomBytes(4).toString('hex');
const repo = `cl-bench-build-${suffix}`;

/** The same file for every builder: two stages, COPY of a source tree, several RUNs, WORKDIR, ENV (no RUN --mount: the classic builder must build it too). */
const DOCKERFILE = `FROM busybox:latest AS build
WORKDIR /src
COPY src/ ./
RUN for f in *.txt; do md5sum "$f"; done > /sums
RUN i=0; while [ $i -lt 3000 ]; do echo $i; i=$((i+1)); done | wc -l > /count
RUN tar cf /src.tar . && wc -c < /src.tar > /size
FROM busybox:latest
ENV MODE=bench
WORKDIR /out
COPY --from=build /sums /count /size ./
RUN cat /out/count /out/size
LABEL bench=build
`;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Which docker CLI can build with BuildKit here: the given one, else the first of PATH's and Debian's that can. */
function pickCli(): { cli?: string; notes: string[] } {
  const notes: string[] = [];
  const candidates = arg('--cli') ? [arg('--cli')!] : ['/usr/local/bin/docker', '/usr/bin/docker'];
  for (const cli of candidates) {
    const v = spawnSync(cli, ['version', '--format', '{{.Client.Version}}'], { encoding: 'utf8' });
    if (v.status !== 0 && !v.stdout) {
      notes.push(`${cli}: not runnable`);
      continue;
    }
    const probe = spawnSync(cli, ['build', '-q', '--label', LABEL, '-'], { input: 'FROM busybox:latest\n', encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '1' } });
    if (probe.status === 0) {
      const id = probe.stdout.trim();
      if (id) spawnSync(cli, ['rmi', id], { encoding: 'utf8' });
      notes.push(`${cli} (docker CLI ${v.stdout.trim()}): DOCKER_BUILDKIT=1 builds with BuildKit`);
      return { cli, notes };
    }
    notes.push(`${cli} (docker CLI ${v.stdout.trim()}): DOCKER_BUILDKIT=1 fails: ${(probe.stderr || probe.stdout).trim().split('\n')[0]}`);
  }
  return { notes };
}

/** Every image a build made (a rebuild moves the tag and leaves the previous image untagged): removed at the end. */
const built = new Set<string>();

function cliBuild(cli: string, dir: string, tag: string, noCache: boolean): Promise<number> {
  const iid = join(dir, '..', `iid-${randomBytes(4).toString('hex')}`);
  const args = ['build', '--progress=plain', '--network', 'none', '--label', LABEL, '--iidfile', iid, '-t', tag, ...(noCache ? ['--no-cache'] : []), dir];
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DOCKER_BUILDKIT: '1' } });
    let err = '';
    p.stdout.resume();
    p.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    p.on('error', reject);
    p.on('close', (code) => {
      const ms = performance.now() - t0;
      try {
        built.add(readFileSync(iid, 'utf8').trim());
        rmSync(iid, { force: true });
      } catch {
        // no image ID (failed build)
      }
      if (code === 0) resolve(ms);
      else reject(new Error(`${cli} build failed (${code}): ${err}`));
    });
  });
}

async function main(): Promise<void> {
  const { cli, notes } = pickCli();
  for (const n of notes) console.log(`  ${n}`);
  const engine = new EngineConnection({ env: process.env, retry: false, healthIntervalMs: 0 });
  const state = await engine.connect();
  if (state.kind !== 'connected') throw new Error('no engine answered');
  const docker = engine.docker();
  const root = mkdtempSync(join(tmpdir(), 'cl-bench-build-'));
  const dir = join(root, 'context');
  const stepImages: string[] = [];
  const tags = new Set<string>();
  try {
    mkdirSync(join(dir, 'src'), { recursive: true });
    for (let i = 0; i < 200; i++) writeFileSync(join(dir, 'src', `f${i}.txt`), `source file ${i}\n`.repeat(50));
    writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
    const ours = async (builder: 'buildkit' | 'classic', tag: string, noCache: boolean): Promise<number> => {
      tags.add(tag);
      const t0 = performance.now();
      let lines = 0;
      const r: BuildRun = await runBuild(docker, {
        builder,
        engine: state.info,
        contextDir: dir,
        dockerfileText: DOCKERFILE,
        dockerfilePath: join(dir, 'Dockerfile'),
        tag,
        noCache,
        networkMode: 'none',
        labels: { 'io.container-lineage.test': 'bench-build' },
        onProgress: (e) => {
          if (e.kind === 'output') lines++;
        },
      });
      const ms = performance.now() - t0;
      stepImages.push(...r.stepImages);
      if (r.imageId) built.add(r.imageId);
      if (!r.ok) throw new Error(`our ${builder} build failed: ${r.error}`);
      if (lines === 0) throw new Error('no progress output');
      return ms;
    };
    const series: Record<string, number[]> = { 'ours BuildKit cold': [], 'CLI BuildKit cold': [], 'ours BuildKit warm': [], 'CLI BuildKit warm': [], 'ours classic cold': [], 'ours classic warm': [] };
    // warm-ups: one of each, so the base image metadata and the warm caches exist
    await ours('buildkit', `${repo}:ours`, false);
    if (cli) await cliBuild(cli, dir, `${repo}:cli`, false).then(() => tags.add(`${repo}:cli`));
    await ours('classic', `${repo}:classic`, false);
    for (let i = 0; i < RUNS; i++) {
      const order = i % 2 === 0 ? ['ours', 'cli'] : ['cli', 'ours'];
      for (const who of order) {
        if (who === 'ours') series['ours BuildKit cold']!.push(await ours('buildkit', `${repo}:ours`, true));
        else if (cli) series['CLI BuildKit cold']!.push(await cliBuild(cli, dir, `${repo}:cli`, true));
      }
      for (const who of order) {
        if (who === 'ours') series['ours BuildKit warm']!.push(await ours('buildkit', `${repo}:ours`, false));
        else if (cli) series['CLI BuildKit warm']!.push(await cliBuild(cli, dir, `${repo}:cli`, false));
      }
      series['ours classic cold']!.push(await ours('classic', `${repo}:classic`, true));
      series['ours classic warm']!.push(await ours('classic', `${repo}:classic`, false));
    }
    console.log(`  same Dockerfile (2 stages, ${DOCKERFILE.trim().split('\n').length} instructions, 200-file context), ${RUNS} runs each, alternating, median (min) wall time:`);
    for (const [name, xs] of Object.entries(series)) {
      if (xs.length) console.log(`    ${name.padEnd(20)} ${median(xs).toFixed(0).padStart(6)} ms  (min ${Math.min(...xs).toFixed(0)} ms)`);
    }
    const ratio = (a: string, b: string) => median(series[a]!) / median(series[b]!);
    if (cli) {
      for (const cache of ['cold', 'warm']) {
        const r = ratio(`ours BuildKit ${cache}`, `CLI BuildKit ${cache}`);
        console.log(`  ours / DOCKER_BUILDKIT=1 ${cli} build, ${cache} cache: ${r.toFixed(2)}  (target ≤ 1.10: ${r <= 1.1 ? 'met' : 'NOT met'})`);
      }
    } else {
      console.log('  no docker CLI here can build with BuildKit: the CLI comparison was not run');
    }
    for (const cache of ['cold', 'warm']) console.log(`  classic / BuildKit (ours), ${cache} cache: ${ratio(`ours classic ${cache}`, `ours BuildKit ${cache}`).toFixed(2)}`);
  } finally {
    for (const t of tags) await docker.getImage(t).remove().catch(() => undefined);
    for (const id of built) await docker.getImage(id).remove().catch(() => undefined);
    for (const id of [...new Set(stepImages)].reverse()) await docker.getImage(id).remove().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
    engine.dispose();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});

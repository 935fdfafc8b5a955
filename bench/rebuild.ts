// bench/rebuild: Rebuild Descendants on a 3-level family of 10 images (base → 3 children → 6
// grandchildren) against the same 9 builds run one after another by the docker CLI
// (`docker build`, classic builder like our recipes, the same labels), in the same run. Each round changes one line
// of the base and rebuilds it first (not timed), so every descendant build does real work (no
// cache hit); the order of the variants alternates between rounds. Variants: ours with
// concurrency 1 (parents first, one build at a time) and 2 (independent siblings side by side),
// and the docker CLI. Prints the median wall time of each and the ratios ours / docker CLI
// (target ≤ 1.1). Everything carries io.container-lineage.test=bench-rebuild-<suffix> and is
// removed afterwards; the recipe store is a temporary folder.
// Usage: node --import tsx bench/rebuild.ts [--rounds N]
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EngineConnection } from '../src/engine/connection';
import { buildWithProvenance } from '../src/engine/provenanceBuild';
import { loadStaleModel, runRebuild } from '../src/engine/rebuild';
import { planRebuild } from '../src/core/rebuildPlan';
import { BASE_DIGEST_LABEL, BASE_NAME_LABEL } from '../src/core/lineage';
import { RecipeStore } from '../src/store/recipeStore';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? def : Number(process.argv[i + 1]);
};
const ROUNDS = arg('--rounds', 3);
const suffix = randomBytes(4).toString('hex');
const repo = `cl-bench-rebuild-${suffix}`;
const label = `io.container-lineage.test=bench-rebuild-${suffix}`;
const [labelKey, labelValue] = label.split('=') as [string, string];
const run = promisify(execFile);

interface Member {
  role: string;
  tag: string;
  parent?: string;
  dir: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'cl-bench-rebuild-'));
  const store = new RecipeStore(join(root, 'state', 'recipes.json'));
  const engine = new EngineConnection({ env: process.env });
  await engine.connect();
  const docker = engine.docker();
  const family: Member[] = [];
  const add = (role: string, parent?: string) => {
    const m = { role, tag: `${repo}/${role}:1`, parent, dir: join(root, role) };
    family.push(m);
    return m.tag;
  };
  const base = add('base');
  for (const c of ['c1', 'c2', 'c3']) {
    const child = add(c, base);
    for (const g of ['a', 'b']) add(`${c}${g}`, child);
  }
  const dockerfile = (m: Member, nonce: string) =>
    m.parent ? `FROM ${m.parent}\nRUN echo ${m.role} > /${m.role}.txt\n` : `FROM busybox:latest\nRUN echo base-${nonce} > /base.txt\n`;
  const buildOurs = async (m: Member, nonce: string) => {
    mkdirSync(m.dir, { recursive: true });
    writeFileSync(join(m.dir, 'Dockerfile'), dockerfile(m, nonce));
    const r = await buildWithProvenance(docker, { contextDir: m.dir, dockerfilePath: join(m.dir, 'Dockerfile'), tag: m.tag, labels: { [labelKey]: labelValue }, networkMode: 'none' }, store);
    if (!r.ok) throw new Error(`build of ${m.tag} failed: ${r.error}`);
  };
  let nonce = 0;
  const changeBase = () => buildOurs(family[0]!, `${suffix}-${++nonce}`);

  try {
    console.log(`family: ${family.length} images (${repo}/…), ${ROUNDS} rounds per variant`);
    for (const m of family) await buildOurs(m, `${suffix}-0`);
    const descendants = family.slice(1); // already in topological order (children before their grandchildren)
    const variants: Record<string, () => Promise<void>> = {
      'ours, concurrency 1': async () => {
        const { model, book } = await loadStaleModel(docker, store);
        const plan = planRebuild(model, book, (await docker.getImage(base).inspect()).Id);
        if (plan.rebuildCount !== descendants.length) throw new Error(`the plan has ${plan.rebuildCount} rebuilds, not ${descendants.length}`);
        const r = await runRebuild(docker, plan, { store, concurrency: 1, onEnd: (st, o) => process.env.CL_BENCH_VERBOSE && console.log(`  ${st.label} ${o.status} ${'durationMs' in o ? o.durationMs : ''} ms`) });
        if (r.summary.rebuilt.length !== descendants.length) throw new Error(`rebuilt ${r.summary.rebuilt.length}: ${JSON.stringify(r.summary.failed)}`);
      },
      'ours, concurrency 2': async () => {
        const { model, book } = await loadStaleModel(docker, store);
        const r = await runRebuild(docker, planRebuild(model, book, (await docker.getImage(base).inspect()).Id), { store, concurrency: 2 });
        if (r.summary.rebuilt.length !== descendants.length) throw new Error(`rebuilt ${r.summary.rebuilt.length}: ${JSON.stringify({ ...r.summary, target: undefined })}`);
      },
      // The same builds: same Dockerfiles, contexts and labels (the classic builder adds one LABEL
      // step per label, so the provenance labels are given here too, with the real base IDs).
      'docker CLI, one after another': async () => {
        const ids = new Map<string, string>([[base, (await docker.getImage(base).inspect()).Id]]);
        for (const m of descendants) {
          const provenance = [`${BASE_NAME_LABEL}=docker.io/${m.parent}`, `${BASE_DIGEST_LABEL}=${ids.get(m.parent!)}`];
          const { stdout } = await run('docker', ['build', '-q', '--network', 'none', '--label', label, ...provenance.flatMap((l) => ['--label', l]), '-t', m.tag, m.dir], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
          ids.set(m.tag, stdout.trim());
        }
      },
    };
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    const names = Object.keys(variants);
    let builtByCli = false;
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? names : [...names].reverse();
      for (const name of order) {
        await changeBase();
        // Images the docker CLI built have no recipe (and no labels of their own): Rebuild
        // Descendants rightly would not touch them. Build the family through the extension's path
        // again first (not timed), then change the base once more.
        if (builtByCli && name.startsWith('ours')) {
          for (const m of descendants) await buildOurs(m, '');
          await changeBase();
        }
        const t0 = performance.now();
        await variants[name]!();
        times[name]!.push((performance.now() - t0) / 1000);
        builtByCli = name.startsWith('docker');
      }
    }
    const cli = median(times['docker CLI, one after another']!);
    for (const name of names) console.log(`${name.padEnd(30)} median ${median(times[name]!).toFixed(2)} s  (runs ${times[name]!.map((t) => t.toFixed(2)).join(', ')})`);
    for (const name of names.slice(0, 2)) console.log(`ratio ${name} / docker CLI: ${(median(times[name]!) / cli).toFixed(2)}x (target ≤ 1.10)`);
  } finally {
    for (let round = 0; round < 6; round++) {
      const images = await docker.listImages({ all: true, filters: JSON.stringify({ label: [label] }) });
      if (images.length === 0) break;
      for (const i of images) await docker.getImage(i.Id).remove({ force: true }).catch(() => undefined);
    }
    engine.dispose();
    rmSync(root, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

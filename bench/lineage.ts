/**
 * bench/lineage: lineage model build time on synthetic forests of 1,000, 10,000 and 50,000 images
 * (depth up to 12, 5–40 layers each), and how it grows: time per layer must stay flat (linear).
 * Baseline in the same run: the naive pairwise-prefix parent search (for each image, compare its
 * chain with every other image's chain; O(n²·layers)). At 10,000 and 50,000 images the baseline is
 * measured on a sample of images and extrapolated (marked "~"), because the full run takes minutes.
 * What is timed is the call the extension makes (src/views/images.ts fullForest, cli tree --all):
 * images and containers (one per 10 images, some of deleted images), on records that went through
 * JSON as engine replies do, so every image's diff IDs and history strings are its own string
 * objects (a generator that shares them lets every comparison succeed on identity alone). The JIT
 * is warmed on a separate forest first, so the 1,000-image figure the growth is judged against is
 * not inflated by cold code.
 * Also printed: ns/layer per phase of buildLineage at each size; a memory floor (one pass reading
 * what any exact model must read) and its growth; and the 1k figures again with cold CPU caches,
 * which split the growth into what the caches give a small forest whose records stay in them
 * (the floor shows the same) and what the model's own size adds (exact confirmation reads the
 * earlier record that made each prefix and each group's histories, no longer cached at 50k; the
 * garbage collector copies a bigger young generation).
 * Run: npm run bench -- lineage   (or: node --import tsx bench/lineage.ts)
 */
import { buildLineage, type ContainerRecord, type ImageRecord } from '../src/core/lineage';
import { syntheticForest } from '../test/unit/fixtures/lineage/synthetic';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function timeMs(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** CPU time (user + system, ms) of `fn`: steadier than wall time on a busy machine. */
function cpuMs(fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/** Naive baseline: for each image in `subject`, the longest strict-prefix chain among all images. */
function pairwiseParents(all: readonly ImageRecord[], subject: readonly ImageRecord[]): number {
  let found = 0;
  for (const image of subject) {
    let best: ImageRecord | undefined;
    for (const other of all) {
      if (other === image || other.layers.length >= image.layers.length) continue;
      if (best && other.layers.length <= best.layers.length) continue;
      let prefix = true;
      for (let i = 0; i < other.layers.length && prefix; i++) prefix = other.layers[i] === image.layers[i];
      if (prefix) best = other;
    }
    if (best) found++;
  }
  return found;
}

/** `images` as an engine reply parsed into records: no string object shared between images. */
function asFromJson<T>(images: T): T {
  return JSON.parse(JSON.stringify(images)) as T;
}

/** One container per 10 images (state alternating), and one per 100 images whose image is gone. */
function containersFor(images: readonly ImageRecord[]): ContainerRecord[] {
  const out: ContainerRecord[] = [];
  images.forEach((image, i) => {
    if (i % 10 !== 3) return;
    const gone = i % 100 === 3;
    out.push({
      id: `c${i.toString(16).padStart(63, '0')}`,
      names: [`bench-${i}`],
      imageId: gone ? `sha256:${'f'.repeat(56)}${i.toString(16).padStart(8, '0')}` : image.id,
      image: image.repoTags[0] ?? image.id,
      state: i % 20 === 3 ? 'running' : 'exited',
      status: i % 20 === 3 ? 'Up 5 minutes' : 'Exited (0) 2 hours ago',
      labels: {},
      created: 1_700_000_000 + i,
    });
  });
  return out;
}

// Warm-up on another forest (another seed), so no size is measured on cold code (the model's nor
// the floor pass's).
let checksumWarm = 0;
{
  const warm = asFromJson(syntheticForest(10_000, 7));
  const warmContainers = containersFor(warm);
  for (let r = 0; r < 5; r++) buildLineage(warm, warmContainers);
  for (let r = 0; r < 5; r++) checksumWarm ^= touchAll(warm);
}

/**
 * Memory floor: one pass that reads every diff ID's characters (a hash of each) and every history
 * entry's fields, the least any exact model must touch. Its time per layer growing from 1k to 50k
 * is the machine's caches, not the algorithm; printed next to the model's growth. Returns a
 * checksum (so the pass is not optimised away).
 */
function touchAll(images: readonly ImageRecord[]): number {
  let h = 0;
  for (const image of images) {
    for (const layer of image.layers) for (let i = layer.length - 8; i < layer.length; i++) h = Math.imul(h ^ layer.charCodeAt(i), 0x01000193);
    for (const e of image.history ?? []) h = (h + e.created + e.size + e.createdBy.length + e.comment.length) | 0;
  }
  return h;
}

/** The phases of buildLineage (lineageTree.ts, its `phaseMs` option), in its order; ms of each. */
const PHASES = ['scan (IDs, chain index, facts)', 'edges', 'link', 'containers'] as const;
function phaseMs(images: readonly ImageRecord[], containers: readonly ContainerRecord[]): number[] {
  const ms: number[] = [];
  buildLineage(images, containers, { phaseMs: ms });
  return ms;
}

/**
 * The 1,000-image figures with cold CPU caches: 20 other 1k forests (other seeds), each built
 * once (and its floor pass run once) right after a pass over a 96 MB buffer has evicted the
 * caches, as the 50,000-image records never fit in them. Returns ns/layer (median over the
 * forests) of the model and of the floor. The 1k figure above is taken hot (one forest built
 * again and again, its records in the caches); 50k against this one leaves out what the caches
 * give the small forest, and keeps what the model's own size adds (its tables, the records of
 * parents read again, the garbage collector).
 */
function coldSmall(): { model: number; floor: number } {
  const evict = new Int32Array(24 << 20);
  let sink = 0;
  const flush = (): void => {
    for (let i = 0; i < evict.length; i += 16) sink += evict[i]!++;
  };
  const model: number[] = [];
  const floor: number[] = [];
  for (let seed = 100; seed < 120; seed++) {
    const images = asFromJson(syntheticForest(1_000, seed));
    const containers = containersFor(images);
    const layers = images.reduce((s, i) => s + i.layers.length, 0);
    flush();
    model.push((timeMs(() => buildLineage(images, containers)) * 1e6) / layers);
    flush();
    floor.push((timeMs(() => (checksum ^= touchAll(images))) * 1e6) / layers);
  }
  checksum ^= sink;
  return { model: median(model), floor: median(floor) };
}

const sizes = [1_000, 10_000, 50_000];
/** Forests (seeds) the 1,000-image figure is taken on: one forest's figure swings up to 3x from process to process (where its records land in memory), the median of several much less. */
const SMALL_SEEDS = [42, 43, 44, 45, 46, 47, 48];
interface Row { n: number; layers: number; ms: number; cpu: number; nsPerLayer: number; floorNsPerLayer: number; baselineMs: number; extrapolated: boolean; phases: number[] }
const rows: Row[] = [];
let checksum = 0;
/** Build the forest of `n` images of `seed` repeatedly; median wall and CPU ms, floor, per-phase ms, baseline. */
function measure(n: number, seed: number): Row {
  const images = asFromJson(syntheticForest(n, seed));
  const containers = containersFor(images);
  const layers = images.reduce((s, i) => s + i.layers.length, 0);
  buildLineage(images, containers); // warm-up at this size
  const runs = n >= 50_000 ? 5 : 7;
  const ms = median(Array.from({ length: runs }, () => timeMs(() => buildLineage(images, containers))));
  const cpu = median(Array.from({ length: runs }, () => cpuMs(() => buildLineage(images, containers))));
  const floorMs = median(Array.from({ length: runs }, () => timeMs(() => (checksum ^= touchAll(images)))));
  const perPhase = Array.from({ length: runs }, () => phaseMs(images, containers));
  const phases = PHASES.map((_, k) => median(perPhase.map((r) => r[k]!)));
  const sample = n <= 1_000 ? images : images.filter((_, i) => i % Math.ceil(n / 300) === 0);
  const baseSample = timeMs(() => pairwiseParents(images, sample));
  const baselineMs = (baseSample * images.length) / sample.length;
  return { n, layers, ms, cpu, nsPerLayer: (ms * 1e6) / layers, floorNsPerLayer: (floorMs * 1e6) / layers, baselineMs, extrapolated: sample.length < images.length, phases };
}
const small = SMALL_SEEDS.map((seed) => measure(1_000, seed)).sort((a, b) => a.nsPerLayer - b.nsPerLayer);
rows.push(small[(small.length - 1) >> 1]!);
for (const n of sizes.slice(1)) rows.push(measure(n, 42));
const phaseRows = rows.map((r) => ({ n: r.n, layers: r.layers, ms: r.phases }));
const cold = coldSmall();

const first = rows[0];
console.log('images   layers      model ms   cpu ms   ns/layer  (vs 1k)   pairwise baseline ms   model speed-up');
for (const r of rows) {
  console.log(
    `${String(r.n).padStart(6)}  ${String(r.layers).padStart(8)}  ${r.ms.toFixed(1).padStart(11)}  ${r.cpu.toFixed(0).padStart(7)}  ${r.nsPerLayer.toFixed(0).padStart(9)}  ${(r.nsPerLayer / first.nsPerLayer).toFixed(2).padStart(7)}x  ${((r.extrapolated ? '~' : '') + r.baselineMs.toFixed(0)).padStart(21)}  ${(r.baselineMs / r.ms).toFixed(0).padStart(13)}x`,
  );
}
console.log(`the 1,000-image row is the median of ${small.length} forests (seeds ${SMALL_SEEDS[0]}–${SMALL_SEEDS.at(-1)}): ${small.map((r) => r.nsPerLayer.toFixed(0)).join(' ')} ns/layer`);
console.log(`per phase, ns/layer (median of the runs; growth ${rows.at(-1)!.n} vs ${first.n}): ` + PHASES.map((name, k) => `${name} ${phaseRows.map((r) => ((r.ms[k]! * 1e6) / r.layers).toFixed(0)).join('/')} (${(((phaseRows.at(-1)!.ms[k]! * 1e6) / phaseRows.at(-1)!.layers) / ((phaseRows[0]!.ms[k]! * 1e6) / phaseRows[0]!.layers)).toFixed(2)}x)`).join(', '));
const growth = rows.at(-1)!.nsPerLayer / first.nsPerLayer;
console.log(`time per layer at ${rows.at(-1)!.n} images is ${growth.toFixed(2)}x the 1,000-image figure (linear growth keeps this near 1; the pairwise baseline grows with n).`);
const floorGrowth = rows.at(-1)!.floorNsPerLayer / first.floorNsPerLayer;
console.log(`memory floor (one pass reading every diff ID and history entry): ${rows.map((r) => `${r.n}: ${r.floorNsPerLayer.toFixed(0)} ns/layer`).join(', ')}; it grows ${floorGrowth.toFixed(2)}x from 1k to ${rows.at(-1)!.n}, the model ${growth.toFixed(2)}x (model growth ÷ floor growth ${(growth / floorGrowth).toFixed(2)}x; checksum ${(checksum ^ checksumWarm) & 0xff})`);
const coldGrowth = rows.at(-1)!.nsPerLayer / cold.model;
const coldFloorGrowth = rows.at(-1)!.floorNsPerLayer / cold.floor;
console.log(`1k with cold caches (20 other 1k forests, caches evicted before each): model ${cold.model.toFixed(0)} ns/layer, floor ${cold.floor.toFixed(0)}; ${rows.at(-1)!.n} against it: model ${coldGrowth.toFixed(2)}x, floor ${coldFloorGrowth.toFixed(2)}x. Of the model's ${growth.toFixed(2)}x, ${(first.nsPerLayer > 0 ? cold.model / first.nsPerLayer : 0).toFixed(2)}x is the caches holding the hot 1k forest's records, ${coldGrowth.toFixed(2)}x what its own size adds. The floor pass alone at ${rows.at(-1)!.n} takes ${rows.at(-1)!.floorNsPerLayer.toFixed(0)} ns/layer, ${(rows.at(-1)!.floorNsPerLayer / first.nsPerLayer).toFixed(2)}x the model's hot 1k figure.`);
// Issue #12 goal 4: 50,000 images in <= 0.4 s, still linear (ns/layer at 50k no more than at 1k,
// where the fixed costs and a cold JIT weigh most; 1.25x is allowed for a busy machine's noise).
const last = rows.at(-1)!;
const fast = last.ms <= 400;
const linear = growth <= 1.25;
console.log(`goal 4: ${last.n} images in ${last.ms.toFixed(0)} ms wall, ${last.cpu.toFixed(0)} ms CPU (limit 400 ms, judged on wall time): ${fast ? 'met' : 'NOT met'}; linear (ns/layer ${growth.toFixed(2)}x the 1k figure, limit 1.25x): ${linear ? 'met' : 'NOT met'}`);

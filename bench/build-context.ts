// bench/build-context: our streamed build-context packer (engine/context: .dockerignore matching,
// tar headers into 1 MiB chunks, synchronous reads in event-loop slices) against GNU `tar` on the
// same folder, in the same run: 20,000 small files plus one 200 MB file. Prints the wall time
// and peak RSS (GNU time %M) of each (times: best of ROUNDS, order alternated; RSS: the highest of ours), our packing time (the call
// to the last byte out, as a build waits for it; node's start-up is printed apart), where that
// time goes (one more run with timings on), the floor of node's synchronous fs API on the same
// files (bench/context/floor-child: the system calls any such packer makes, nothing else), the
// ratio and whether issue #12's goal is met:
// <= 1.5x tar, peak RSS < 100 MB (streaming keeps it far below the 200 MB file).
// Usage: npx tsx bench/build-context.ts [--files N] [--big-mb M] [--rounds R] [--keep] [--dir PREPARED_DIR]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, openSync, ftruncateSync, closeSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? def : Number(process.argv[i + 1]);
};
const FILES = arg('--files', 20_000);
const BIG_MB = arg('--big-mb', 200);
/** Interleaved rounds of tar, ours and the floor: 3 gave ratios from 1.36x to 1.50x on this (shared) host from run to run, the best of 5 varies less. */
const ROUNDS = arg('--rounds', 5);
const keep = process.argv.includes('--keep');
const preparedIndex = process.argv.indexOf('--dir');
const prepared = preparedIndex === -1 ? undefined : process.argv[preparedIndex + 1];

interface Run {
  label: string;
  seconds: number;
  peakKb: number;
  /** User + system CPU time of the whole process (s). */
  cpuSeconds: number;
  bytes: number;
  /** What the child printed on stderr besides GNU time's line. */
  report: string;
}

/** Run a command under GNU time; count the bytes it writes to stdout. */
function measure(label: string, cmd: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/time', ['-f', 'CLBENCH %e %M %U %S', ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let err = '';
    p.stdout.on('data', (c: Buffer) => (bytes += c.length));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      const m = /CLBENCH ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(err);
      if (code !== 0 || !m) return reject(new Error(`${label} failed (${code}): ${err}`));
      resolve({ label, seconds: Number(m[1]), peakKb: Number(m[2]), cpuSeconds: Number(m[3]) + Number(m[4]), bytes, report: err.replace(m[0], '').trim() });
    });
  });
}

/** The JSON line pack-child prints on stderr. */
interface ChildReport {
  files: number;
  bytes: number;
  packMs: number;
  /** CPU time (user + system, every thread) the packing took, ms. */
  packCpuMs: number;
  timings?: Record<'readdir' | 'match' | 'stat' | 'header' | 'read' | 'readLarge' | 'wait' | 'readAhead' | 'slices' | 'chunks', number>;
}
const childReport = (r: Run): ChildReport => JSON.parse(r.report.split('\n').find((l) => l.startsWith('{')) ?? '{}') as ChildReport;

/** The folder: FILES small files in 100 subfolders, one BIG_MB file, a .dockerignore that
 * excludes nothing of it (so both packers send the same content). */
function makeContext(dir: string): void {
  const per = Math.ceil(FILES / 100);
  for (let d = 0; d < 100; d++) {
    mkdirSync(join(dir, `d${d}`), { recursive: true });
    for (let f = 0; f < per && d * per + f < FILES; f++) writeFileSync(join(dir, `d${d}`, `f${f}.txt`), `file ${d}/${f}\n`.repeat(4));
  }
  const fd = openSync(join(dir, 'big.bin'), 'w');
  const chunk = Buffer.alloc(1 << 20, 7);
  for (let i = 0; i < BIG_MB; i++) writeSync(fd, chunk);
  ftruncateSync(fd, BIG_MB << 20);
  closeSync(fd);
  writeFileSync(join(dir, '.dockerignore'), '*.tmp\n');
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'cl-bench-ctx-'));
  const dir = prepared ?? join(root, 'context');
  try {
    const t0 = Date.now();
    if (!prepared) makeContext(dir);
    console.log(`context: ${prepared ? `${prepared} (prepared before)` : `${FILES} small files + ${BIG_MB} MB file`} (ready in ${Date.now() - t0} ms)`);

    // Our packer, bundled so the measurement is node + our code, not the TypeScript loader.
    const childJs = join(root, 'pack-child.js');
    await esbuild.build({ entryPoints: [join(__dirname, 'context', 'pack-child.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: childJs, logLevel: 'warning' });
    // The floor of any packer on node's synchronous fs API (walk, lstat, open/read/close, nothing else).
    const floorJs = join(root, 'floor-child.js');
    await esbuild.build({ entryPoints: [join(__dirname, 'context', 'floor-child.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: floorJs, logLevel: 'warning' });
    spawnSync('sync');

    const idle = await measure('idle node', [process.execPath, '-e', '']);
    // warm the page cache once for both, then alternate order
    await measure('warm-up tar', ['tar', '-cf', '-', '-C', dir, '.']);
    const runs: Run[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const pair = [
        () => measure('tar', ['tar', '-cf', '-', '-C', dir, '.']),
        () => measure('ours', [process.execPath, childJs, dir]),
        () => measure('floor', [process.execPath, floorJs, dir]),
      ];
      if (r % 2 === 1) pair.reverse();
      for (const f of pair) runs.push(await f());
    }
    // One more run of ours with the breakdown switched on (not used for the ratio).
    const profiled = childReport(await measure('ours, timed parts', [process.execPath, childJs, dir, '--timings']));
    const best = (label: string) => runs.filter((x) => x.label === label).sort((a, b) => a.seconds - b.seconds)[0]!;
    const tar = best('tar');
    const ours = best('ours');
    const oursPeakKb = Math.max(...runs.filter((x) => x.label === 'ours').map((x) => x.peakKb));
    const packS = Math.min(...runs.filter((x) => x.label === 'ours').map((x) => childReport(x).packMs / 1000));
    const packCpuS = Math.min(...runs.filter((x) => x.label === 'ours').map((x) => childReport(x).packCpuMs / 1000));
    const tarCpuS = Math.min(...runs.filter((x) => x.label === 'tar').map((x) => x.cpuSeconds));
    const mb = (kb: number) => (kb / 1024).toFixed(1);
    const floorReports = runs.filter((x) => x.label === 'floor').map((x) => JSON.parse(x.report.split('\n').find((l) => l.startsWith('{')) ?? '{}') as { ms: number; cpuMs: number });
    const floorS = Math.min(...floorReports.map((f) => f.ms / 1000));
    const floorCpuS = Math.min(...floorReports.map((f) => f.cpuMs / 1000));
    console.log(`tar  : ${tar.seconds.toFixed(2)} s, peak RSS ${mb(tar.peakKb)} MB, ${(tar.bytes / 1e6).toFixed(1)} MB of tar (best of ${ROUNDS})`);
    console.log(`ours : ${packS.toFixed(2)} s packing (from the call to the last byte out; best of ${ROUNDS}), ${ours.seconds.toFixed(2)} s for the whole process with node's start-up, peak RSS ${mb(oursPeakKb)} MB (the highest of its ${ROUNDS} runs), ${(ours.bytes / 1e6).toFixed(1)} MB of tar`);
    console.log(`idle node: ${idle.seconds.toFixed(2)} s, peak RSS ${mb(idle.peakKb)} MB`);
    console.log(`CPU time (user + system; steadier than wall time on a busy machine): tar ${tarCpuS.toFixed(2)} s, ours ${packCpuS.toFixed(2)} s packing (${(packCpuS / Math.max(tarCpuS, 0.01)).toFixed(2)}x)`);
    console.log(`sink: tar and ours both write to the same kind of stdout, a Unix socket pair (node's 'pipe' stdio) this process reads, bytes counted and dropped; tar writes 10 KiB blocks with blocking writes, ours 1 MiB chunks through libuv; ours ends when stdout has taken the last byte`);
    console.log(`node fs floor (walk + lstat + open/read/close of the same files, no headers/matching/output): ${floorS.toFixed(2)} s, CPU ${floorCpuS.toFixed(2)} s = ${(floorCpuS / Math.max(tarCpuS, 0.01)).toFixed(2)}x tar's CPU; ours is ${(packCpuS / Math.max(floorCpuS, 0.01)).toFixed(2)}x this floor`);
    const t = profiled.timings;
    if (t) {
      const total = profiled.packMs;
      const parts: Array<[string, number]> = [
        ['readdir + sort', t.readdir], ['.dockerignore match', t.match], ['lstat/readlink here (before the worker starts)', t.stat], ['header encoding', t.header],
        ['file bodies (read here, or copied from the read-ahead worker)', t.read], ['large-file reads (1 MiB pieces)', t.readLarge], ['waiting for the consumer', t.wait], ['waiting for the read-ahead worker (lstat, reads)', t.readAhead],
      ];
      const rest = total - parts.reduce((s, [, v]) => s + v, 0);
      console.log(`where our packing time goes (one extra run with timings on, ${total.toFixed(0)} ms, ${t.slices} slices, ${t.chunks} chunks):`);
      for (const [name, v] of [...parts, ['handing chunks over, event-loop turns, the rest', rest] as [string, number]]) {
        console.log(`  ${name.padEnd(48)} ${v.toFixed(0).padStart(6)} ms  ${((100 * v) / total).toFixed(0).padStart(3)}%`);
      }
    }
    const ratio = packS / Math.max(tar.seconds, 0.01);
    const wholeRatio = ours.seconds / Math.max(tar.seconds, 0.01);
    const rssOk = oursPeakKb < 100 * 1024;
    console.log(`time ratio ours/tar: ${ratio.toFixed(2)}x packing (${wholeRatio.toFixed(2)}x counting node's start-up, which an extension host has already paid); goal <= 1.5x: ${ratio <= 1.5 ? 'met' : 'NOT met'}`);
    console.log(`peak RSS ours: ${mb(oursPeakKb)} MB, the highest of ${ROUNDS} runs (${mb(oursPeakKb - idle.peakKb)} MB over idle node); limit 100 MB: ${rssOk ? 'met' : 'EXCEEDED'}`);
    if (!rssOk) process.exitCode = 1;
  } finally {
    if (!keep) rmSync(root, { recursive: true, force: true });
  }
}

void main();

// bench/build-context: our streamed build-context packer (tar-stream + .dockerignore) against
// GNU `tar` on the same folder, in the same run: 20,000 small files plus one 200 MB file.
// Prints wall time and peak RSS (GNU time %M) of each, the ratio, and our RSS over an idle
// `node` process. Streaming means our peak stays far below the 200 MB file: must be < 100 MB.
// Usage: npx tsx bench/build-context.ts [--files N] [--big-mb M] [--keep]
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
const keep = process.argv.includes('--keep');

interface Run {
  label: string;
  seconds: number;
  peakKb: number;
  bytes: number;
}

/** Run a command under GNU time; count the bytes it writes to stdout. */
function measure(label: string, cmd: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/time', ['-f', 'CLBENCH %e %M', ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let err = '';
    p.stdout.on('data', (c: Buffer) => (bytes += c.length));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      const m = /CLBENCH ([\d.]+) (\d+)/.exec(err);
      if (code !== 0 || !m) return reject(new Error(`${label} failed (${code}): ${err}`));
      resolve({ label, seconds: Number(m[1]), peakKb: Number(m[2]), bytes });
    });
  });
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'cl-bench-ctx-'));
  const dir = join(root, 'context');
  try {
    // The folder: FILES small files in 100 subfolders, one BIG_MB file, a .dockerignore that
    // excludes nothing of it (so both packers send the same content).
    const t0 = Date.now();
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
    console.log(`context: ${FILES} small files + ${BIG_MB} MB file (prepared in ${Date.now() - t0} ms)`);

    // Our packer, bundled so the measurement is node + our code, not the TypeScript loader.
    const childJs = join(root, 'pack-child.js');
    await esbuild.build({ entryPoints: [join(__dirname, 'context', 'pack-child.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: childJs, logLevel: 'warning' });
    spawnSync('sync');

    const idle = await measure('idle node', [process.execPath, '-e', '']);
    // warm the page cache once for both, then alternate order
    await measure('warm-up tar', ['tar', '-cf', '-', '-C', dir, '.']);
    const runs: Run[] = [];
    for (let r = 0; r < 2; r++) {
      const pair = [
        () => measure('tar', ['tar', '-cf', '-', '-C', dir, '.']),
        () => measure('ours', [process.execPath, childJs, dir]),
      ];
      if (r % 2 === 1) pair.reverse();
      for (const f of pair) runs.push(await f());
    }
    const best = (label: string) => runs.filter((x) => x.label === label).sort((a, b) => a.seconds - b.seconds)[0]!;
    const tar = best('tar');
    const ours = best('ours');
    const mb = (kb: number) => (kb / 1024).toFixed(1);
    console.log(`tar  : ${tar.seconds.toFixed(2)} s, peak RSS ${mb(tar.peakKb)} MB, ${(tar.bytes / 1e6).toFixed(1)} MB of tar`);
    console.log(`ours : ${ours.seconds.toFixed(2)} s, peak RSS ${mb(ours.peakKb)} MB, ${(ours.bytes / 1e6).toFixed(1)} MB of tar`);
    console.log(`idle node: peak RSS ${mb(idle.peakKb)} MB`);
    console.log(`time ratio ours/tar: ${(ours.seconds / Math.max(tar.seconds, 0.01)).toFixed(2)}x`);
    console.log(`peak RSS ours: ${mb(ours.peakKb)} MB (${mb(ours.peakKb - idle.peakKb)} MB over idle node); limit 100 MB: ${ours.peakKb < 100 * 1024 ? 'OK' : 'EXCEEDED'}`);
    if (ours.peakKb >= 100 * 1024) process.exitCode = 1;
  } finally {
    if (!keep) rmSync(root, { recursive: true, force: true });
  }
}

void main();

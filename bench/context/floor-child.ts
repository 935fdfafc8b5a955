// Child process of bench/build-context.ts: the floor of any packer written against node's
// synchronous fs API, on the folder given as argv[2]: the walk (readdir + sort), one lstat per
// entry, and open + read + close of every regular file into one reused buffer (large files read
// 1 MiB at a time), and nothing else: no tar headers, no .dockerignore, no stream, no output.
// On stderr, one JSON line: `ms` (wall) and `cpuMs` (user + system, every thread).
import { closeSync, lstatSync, openSync, readSync, readdirSync } from 'node:fs';

const dir = process.argv[2];
if (!dir) throw new Error('usage: floor-child DIR');
const buf = Buffer.allocUnsafe(1 << 20);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
let bytes = 0;
const walk = (abs: string): void => {
  for (const name of readdirSync(abs).sort()) {
    const p = `${abs}/${name}`;
    const s = lstatSync(p);
    if (s.isDirectory()) walk(p);
    else if (s.isFile()) {
      const fd = openSync(p, 'r');
      for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null)) bytes += n;
      closeSync(fd);
    }
  }
};
walk(dir);
const cpu = process.cpuUsage(cpu0);
process.stderr.write(`${JSON.stringify({ bytes, ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);

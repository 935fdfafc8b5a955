// Child process of bench/build-context.ts: packs the folder given as argv[2] with our build
// context packer and writes the tar to stdout (so its peak RSS is measured on its own). On
// stderr, one JSON line: the totals, `packMs` (from the packBuildContext call to the last byte
// taken by stdout: the time a build waits, without node's start-up), `packCpuMs` and, with --timings, where
// that time went (engine/context ContextTimings; taking them costs a little, so the timed runs
// go without).
import { packBuildContext, type ContextTimings } from '../../src/engine/context';

const dir = process.argv[2];
if (!dir) throw new Error('usage: context-pack-child DIR [--timings]');
const timings: ContextTimings | undefined = process.argv.includes('--timings')
  ? { readdir: 0, match: 0, stat: 0, header: 0, read: 0, readLarge: 0, wait: 0, readAhead: 0, slices: 0, chunks: 0 }
  : undefined;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const { stream, done } = packBuildContext({ contextDir: dir, dockerfileText: 'FROM busybox\nCOPY . /ctx\n', timings });
stream.pipe(process.stdout);
// The end is when stdout has taken the last byte: writes to a pipe or socket are asynchronous
// (libuv queues what the kernel does not take at once), so the stream's 'end' can come while a
// chunk or two are still queued; an empty write's callback runs once everything before it is out.
stream.on('end', () => process.stdout.write('', finished));
function finished(): void {
  const packMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const packCpuMs = (cpu.user + cpu.system) / 1000;
  done.then(
    (stats) => process.stderr.write(`${JSON.stringify({ ...stats, packMs, packCpuMs, timings })}\n`),
    (err: unknown) => {
      process.stderr.write(`pack failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
done.catch((err: unknown) => {
  process.stderr.write(`pack failed: ${String(err)}\n`);
  process.exit(1);
});

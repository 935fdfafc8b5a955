// Child process of bench/build-context.ts: packs the folder given as argv[2] with our build
// context packer and writes the tar to stdout (so its peak RSS is measured on its own).
import { packBuildContext } from '../../src/engine/context';

const dir = process.argv[2];
if (!dir) throw new Error('usage: context-pack-child DIR');
const { stream, done } = packBuildContext({ contextDir: dir, dockerfileText: 'FROM busybox\nCOPY . /ctx\n' });
stream.pipe(process.stdout);
done.then(
  (s) => process.stderr.write(`${JSON.stringify(s)}\n`),
  (err: unknown) => {
    process.stderr.write(`pack failed: ${String(err)}\n`);
    process.exit(1);
  },
);

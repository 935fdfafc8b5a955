import * as assert from 'node:assert/strict';
import { run } from '../../src/cli/serve';

/** Run `serve` with args; capture stderr/stdout. Only usage paths: they return before any engine is touched. */
async function serve(args: string[]): Promise<{ code: number; err: string; out: string }> {
  let err = '';
  let out = '';
  const e = process.stderr.write.bind(process.stderr);
  const o = process.stdout.write.bind(process.stdout);
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  try {
    return { code: await run(args), err, out };
  } finally {
    process.stderr.write = e;
    process.stdout.write = o;
  }
}

describe('CLI serve: usage', () => {
  it('--help prints the usage and exits 0', async () => {
    const r = await serve(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /^usage: container-lineage serve IMAGE --container-port PORT/);
  });

  const bad: Array<[string[], RegExp]> = [
    [[], /an IMAGE is required/],
    [['web:1'], /--container-port is required/],
    [['web:1', '--container-port', '70000'], /--container-port must be 1–65535/],
    [['web:1', '--container-port', '8080', '--network', 'bridge'], /--network is not accepted/],
    [['web:1', '--container-port', '8080', '--evict', 'fifo'], /--evict must be reject or lru/],
    [['web:1', '--container-port', '8080', '--logout', 'bye'], /--logout must be a path starting with \//],
    [['web:1', '--container-port', '8080', '--max', '0'], /--max must be at least 1/],
    [['web:1', '--container-port', '8080', '--idle=-3'], /--idle needs a number ≥ 0/],
    [['web:1', '--container-port', '8080', '--measure', '--isolation'], /choose --measure or --isolation/],
    [['web:1', 'extra', '--container-port', '8080'], /unexpected arguments: extra/],
    [['web:1', '--container-port', '8080', '--bogus'], /Unknown option '--bogus'/],
  ];
  for (const [args, message] of bad) {
    it(`exits 2 with a message for: serve ${args.join(' ')}`, async () => {
      const r = await serve(args);
      assert.equal(r.code, 2);
      assert.match(r.err, message);
      assert.match(r.err, /usage: container-lineage serve/);
    });
  }
});

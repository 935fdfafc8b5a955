import * as assert from 'node:assert/strict';
import { run } from '../../src/cli/serve';
import { captureCli } from './cliCapture';

/** Only usage paths: they return before any engine is touched. */
const serve = (args: string[]) => captureCli(run, args);

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

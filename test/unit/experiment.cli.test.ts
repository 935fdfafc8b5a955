import * as assert from 'node:assert/strict';
import { parseOverheadArgs } from '../../src/cli/overhead';

describe('container-lineage overhead arguments', () => {
  it('parses image, workload, counts and flags', () => {
    const a = parseOverheadArgs(['busybox:latest', '--workload', 'net', '-n', '7', '--warmups', '0', '--lifecycle', '2', '--json', '--mode', 'run']);
    assert.deepEqual(a, { image: 'busybox:latest', workload: 'net', n: 7, warmups: 0, lifecycle: 2, mode: 'run', json: true, command: [] });
    assert.equal(parseOverheadArgs(['img', '--workload=memory']).workload, 'memory');
    assert.equal(parseOverheadArgs(['img']).workload, 'cpu');
  });
  it('custom: command after --, optional host command line', () => {
    const a = parseOverheadArgs(['img', '-w', 'custom', '--host-cmd', 'python3 x.py', '--', 'sh', '-c', 'echo -n hi']);
    assert.deepEqual(a.command, ['sh', '-c', 'echo -n hi']);
    assert.deepEqual(a.hostCommand, ['/bin/sh', '-c', 'python3 x.py']);
  });
  const bad: Array<[string, string[], RegExp]> = [
    ['no image', ['--workload', 'cpu'], /IMAGE is required/],
    ['unknown workload', ['img', '--workload', 'gpu'], /must be one of/],
    ['n zero', ['img', '-n', '0'], /whole number ≥ 1/],
    ['n not a number', ['img', '-n', 'ten'], /whole number/],
    ['custom without command', ['img', '--workload', 'custom'], /needs a command after --/],
    ['command without custom', ['img', '--', 'true'], /only used with --workload custom/],
    ['unknown option', ['img', '--fast'], /unknown option --fast/],
    ['two images', ['a', 'b'], /unexpected argument "b"/],
  ];
  for (const [what, args, msg] of bad) it(`rejects ${what}`, () => assert.throws(() => parseOverheadArgs(args), msg));
});

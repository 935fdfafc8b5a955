import * as assert from 'node:assert/strict';
import { parseWebviewMessage, ProtocolError } from '../../src/webview/protocol';

describe('overhead webview protocol', () => {
  it('accepts the known messages', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseWebviewMessage({ type: 'run', image: ' busybox:latest ', workload: 'cpu', n: 5 }), { type: 'run', image: 'busybox:latest', workload: 'cpu', n: 5 });
    assert.deepEqual(parseWebviewMessage({ type: 'run', image: 'b', workload: 'custom', n: 1, command: 'echo hi', hostCommand: '' }), {
      type: 'run', image: 'b', workload: 'custom', n: 1, command: 'echo hi', hostCommand: '',
    });
    assert.deepEqual(parseWebviewMessage({ type: 'export', format: 'csv' }), { type: 'export', format: 'csv' });
    const id = 'a'.repeat(64);
    assert.deepEqual(parseWebviewMessage({ type: 'watch', containerIds: [id, id] }), { type: 'watch', containerIds: [id] });
    assert.equal(parseWebviewMessage({ type: 'probeResult', requestId: 'r', text: '<img>', injectedElements: 0, charts: 2, scriptRan: false }).type, 'probeResult');
  });

  const bad: Array<[string, unknown]> = [
    ['not an object', 'run'],
    ['array', [{ type: 'ready' }]],
    ['null', null],
    ['unknown type', { type: 'eval', code: 'x' }],
    ['missing type', { image: 'x' }],
    ['extra field', { type: 'ready', html: '<img src=x onerror=alert(1)>' }],
    ['prototype pollution key', JSON.parse('{"type":"cancel","__proto__":{"x":1}}')],
    ['bad workload', { type: 'run', image: 'b', workload: 'rm -rf', n: 3 }],
    ['n not integer', { type: 'run', image: 'b', workload: 'cpu', n: 2.5 }],
    ['n as string', { type: 'run', image: 'b', workload: 'cpu', n: '3' }],
    ['n too big', { type: 'run', image: 'b', workload: 'cpu', n: 100000 }],
    ['empty image', { type: 'run', image: '  ', workload: 'cpu', n: 3 }],
    ['image with spaces', { type: 'run', image: 'a b', workload: 'cpu', n: 3 }],
    ['huge image', { type: 'run', image: 'x'.repeat(10000), workload: 'cpu', n: 3 }],
    ['custom without command', { type: 'run', image: 'b', workload: 'custom', n: 3 }],
    ['command not a string', { type: 'run', image: 'b', workload: 'custom', n: 3, command: ['sh'] }],
    ['bad export format', { type: 'export', format: 'html' }],
    ['container id not hex', { type: 'watch', containerIds: ['../../etc'] }],
    ['too many containers', { type: 'watch', containerIds: Array.from({ length: 17 }, (_, i) => String(i).padStart(12, 'a')) }],
    ['watch ids not list', { type: 'watch', containerIds: 'abc' }],
    ['probe without flags', { type: 'probeResult', requestId: 'r', text: '' }],
  ];
  for (const [what, msg] of bad) {
    it(`rejects: ${what}`, () => assert.throws(() => parseWebviewMessage(msg), ProtocolError));
  }
});

import assert from 'node:assert/strict';
import { shellEnd } from '../../src/core/shellEnd';

describe('Attach Shell: what the terminal says when the shell ends', () => {
  it('the user left the shell: the terminal closes with its code, the container keeps running', () => {
    assert.deepEqual(shellEnd('box', 3, { running: true }), { text: '\r\n[shell exited with code 3; box keeps running]\r\n', close: true, code: 3 });
  });
  it('the container was stopped under it: no close with 137 (an alert without reason), the terminal says why and stays', () => {
    const end = shellEnd('box', 137, { running: false, exitCode: 137 });
    assert.equal(end.close, false);
    assert.equal(end.code, undefined);
    assert.match(end.text, /box stopped \(exit code 137\): the shell ended with it; close this terminal/);
    assert.doesNotMatch(end.text, /keeps running/);
  });
  it('the container is gone: says it was removed', () => {
    assert.match(shellEnd('box', null, { running: undefined }).text, /box was removed: the shell ended with it/);
  });
});

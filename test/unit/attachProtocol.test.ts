import assert from 'node:assert/strict';
import { commandScript, markerPrefix, MarkerScanner, shellQuote, transactionInput } from '../../src/core/attachProtocol';

const TOKEN = '0123456789abcdef';

function scan(chunks: Array<string | Buffer>): { out: string; code: number | undefined; pieces: string[] } {
  const pieces: string[] = [];
  const s = new MarkerScanner(TOKEN, (b) => pieces.push(b.toString('latin1')));
  for (const c of chunks) s.push(Buffer.isBuffer(c) ? c : Buffer.from(c, 'latin1'));
  if (!s.done) s.flush();
  return { out: pieces.join(''), code: s.exitCode, pieces };
}

describe('core/attachProtocol', () => {
  it('quotes every word so the shell takes it literally', () => {
    assert.equal(shellQuote("it's $HOME `x`"), `'it'\\''s $HOME \`x\`'`);
    assert.equal(commandScript(['echo', 'a b', '$X']), `exec 'echo' 'a b' '$X'`);
    assert.equal(commandScript(['pwd'], ['A=1 2', 'B='], '/tmp'), `export 'A=1 2'\nexport 'B='\ncd '/tmp' || exit 126\nexec 'pwd'`);
  });

  it('refuses an empty command, a malformed environment entry and a bad token', () => {
    assert.throws(() => commandScript([]), RangeError);
    assert.throws(() => commandScript(['true'], ['no-equals']), /NAME=value/);
    assert.throws(() => transactionInput('XYZ', 'exec true'), RangeError);
    assert.equal(transactionInput(TOKEN, 'exec true'), `${TOKEN}\nexec true\n${TOKEN}\n`);
  });

  it('finds the marker and its exit code, passing the bytes before it through', () => {
    const r = scan([`hello\nno newline${markerPrefix(TOKEN)}42\nleftover from a background process`]);
    assert.equal(r.out, 'hello\nno newline');
    assert.equal(r.code, 42);
  });

  it('finds a marker split across chunks at every position, holding back only what could be its start', () => {
    const whole = `out\x01${markerPrefix(TOKEN)}7\n`;
    for (let cut = 1; cut < whole.length; cut++) {
      const r = scan([whole.slice(0, cut), whole.slice(cut)]);
      assert.equal(r.out, 'out\x01', `cut at ${cut}`);
      assert.equal(r.code, 7, `cut at ${cut}`);
    }
    // one byte at a time
    const bytes = [...whole].map((ch) => ch);
    assert.deepEqual([scan(bytes).out, scan(bytes).code], ['out\x01', 7]);
  });

  it('a marker of another token is output, and a stream ending without a marker releases what was held back', () => {
    const other = markerPrefix('ffffffffffffffff') + '0\n';
    const r = scan([`a${other}b\x01CLDO`]);
    assert.equal(r.code, undefined);
    assert.equal(r.out, `a${other}b\x01CLDO`);
  });

  it('passes UTF-8 bytes through unchanged', () => {
    const text = Buffer.from('größe ✓\n', 'utf8');
    const pieces: Buffer[] = [];
    const s = new MarkerScanner(TOKEN, (b) => pieces.push(Buffer.from(b)));
    s.push(Buffer.concat([text, Buffer.from(`${markerPrefix(TOKEN)}0\n`, 'latin1')]));
    assert.equal(Buffer.concat(pieces).toString('utf8'), 'größe ✓\n');
    assert.equal(s.exitCode, 0);
  });
});

import assert from 'node:assert/strict';
import { DemuxError, FrameDemuxer, StreamDecoder, type StreamName } from '../../src/engine/demux';

function frame(type: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** Split `buf` into chunks of the given sizes (cycled). */
function chunks(buf: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  let k = 0;
  while (i < buf.length) {
    const n = sizes[k++ % sizes.length];
    out.push(buf.subarray(i, i + n));
    i += n;
  }
  return out;
}

function collect(wire: Buffer[]): { stdout: Buffer; stderr: Buffer; text: Record<StreamName, string>; boundary: boolean } {
  const parts: Record<StreamName, Buffer[]> = { stdout: [], stderr: [] };
  const dec = { stdout: new StreamDecoder(), stderr: new StreamDecoder() };
  const d = new FrameDemuxer((s, b) => {
    parts[s].push(Buffer.from(b));
    dec[s].write(b);
  });
  for (const c of wire) d.push(c);
  return {
    stdout: Buffer.concat(parts.stdout),
    stderr: Buffer.concat(parts.stderr),
    text: { stdout: dec.stdout.end(), stderr: dec.stderr.end() },
    boundary: d.atFrameBoundary,
  };
}

describe('engine/demux', () => {
  it('separates stdout and stderr frames', () => {
    const wire = Buffer.concat([frame(1, Buffer.from('out\n')), frame(2, Buffer.from('err\n')), frame(1, Buffer.from('more'))]);
    const r = collect([wire]);
    assert.equal(r.text.stdout, 'out\nmore');
    assert.equal(r.text.stderr, 'err\n');
    assert.ok(r.boundary);
  });

  it('handles headers split across chunks at every position (1-byte chunks)', () => {
    const wire = Buffer.concat([frame(1, Buffer.from('ab')), frame(2, Buffer.from('cd')), frame(1, Buffer.alloc(0)), frame(1, Buffer.from('e'))]);
    for (const sizes of [[1], [3], [5, 2], [7, 9], [8], [9, 1]]) {
      const r = collect(chunks(wire, sizes));
      assert.equal(r.text.stdout, 'abe', `sizes ${sizes}`);
      assert.equal(r.text.stderr, 'cd', `sizes ${sizes}`);
      assert.ok(r.boundary);
    }
  });

  it('reassembles multi-byte characters split across frames', () => {
    const text = 'héllo €uro 𝄞 clef — 日本語';
    const bytes = Buffer.from(text, 'utf8');
    // cut the payload into 1..3-byte frames so every multi-byte character is split
    const frames: Buffer[] = [];
    let i = 0;
    let n = 1;
    while (i < bytes.length) {
      frames.push(frame(1, bytes.subarray(i, i + n)));
      i += n;
      n = (n % 3) + 1;
    }
    const r = collect(chunks(Buffer.concat(frames), [5, 1, 11]));
    assert.equal(r.text.stdout, text);
    assert.ok(r.stdout.equals(bytes));
  });

  it('5 MB of multi-byte output is byte-identical after demultiplexing', () => {
    const unit = Buffer.from('ab€𝄞日\n', 'utf8');
    const payload = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += unit.length) unit.copy(payload, i, 0, Math.min(unit.length, payload.length - i));
    // frames of odd sizes (4093 bytes, like a pipe) interleaved with stderr noise
    const frames: Buffer[] = [];
    for (let i = 0; i < payload.length; i += 4093) {
      frames.push(frame(1, payload.subarray(i, i + 4093)));
      if (i % (4093 * 100) === 0) frames.push(frame(2, Buffer.from('é')));
    }
    const r = collect(chunks(Buffer.concat(frames), [65536, 7, 16381]));
    assert.ok(r.stdout.equals(payload));
    assert.equal(r.stdout.length, payload.length);
    assert.equal(r.text.stdout, new TextDecoder().decode(payload));
    assert.ok(r.stderr.length > 0);
  });

  it('reports a corrupt header instead of guessing', () => {
    const d = new FrameDemuxer(() => undefined);
    assert.throws(() => d.push(Buffer.from('hello world, raw tty bytes')), DemuxError);
  });

  it('reports an incomplete trailing frame', () => {
    const d = new FrameDemuxer(() => undefined);
    d.push(frame(1, Buffer.from('abcdef')).subarray(0, 10));
    assert.equal(d.atFrameBoundary, false);
  });

  it('StreamDecoder flushes an incomplete trailing character as U+FFFD', () => {
    const dec = new StreamDecoder();
    dec.write(Buffer.from('€', 'utf8').subarray(0, 2));
    assert.equal(dec.end(), '\uFFFD');
  });
});

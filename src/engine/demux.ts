/**
 * Demultiplexer for the Docker Engine's attach/exec stream format (non-TTY containers).
 *
 * Wire format (Engine API, "Attach to a container" → "Stream format"): a sequence of frames, each
 * an 8-byte header `[STREAM_TYPE, 0, 0, 0, SIZE1, SIZE2, SIZE3, SIZE4]` (type 0 stdin, 1 stdout,
 * 2 stderr; size big-endian uint32) followed by SIZE payload bytes. TTY containers send raw bytes
 * with no framing.
 *
 * Why our own and not docker-modem's `demuxStream`: that helper re-concatenates its whole pending
 * buffer on every chunk (quadratic on large frames arriving in small chunks) and, on a header it
 * does not recognise, silently switches to raw passthrough; this one is incremental (a header may be
 * split across any number of chunks, payload bytes are forwarded as they arrive, never copied into
 * a growing buffer) and reports a corrupt stream as an error. Payload boundaries are byte
 * boundaries: a multi-byte UTF-8 character may be split across frames, so text decoding happens
 * per stream with {@link StreamDecoder} (TextDecoder with `stream: true`).
 */

/** Which output stream a payload belongs to. */
export type StreamName = 'stdout' | 'stderr';

/** Thrown by {@link FrameDemuxer.push} when a header has an unknown stream type. */
export class DemuxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemuxError';
  }
}

/**
 * Incremental frame parser. Feed it chunks in arrival order with {@link push}; it calls `sink`
 * with payload bytes (sub-slices of the chunks, no copy) for stdout and stderr. Stdin frames
 * (type 0, which the engine never sends in practice) are reported as stdout.
 */
export class FrameDemuxer {
  private readonly header = Buffer.alloc(8);
  private headerFill = 0;
  private remaining = 0;
  private current: StreamName = 'stdout';

  constructor(private readonly sink: (stream: StreamName, bytes: Buffer) => void) {}

  /**
   * Consume one chunk.
   * @throws DemuxError when a frame header names a stream type other than 0, 1 or 2.
   */
  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - offset);
        this.sink(this.current, chunk.subarray(offset, offset + take));
        this.remaining -= take;
        offset += take;
        continue;
      }
      const take = Math.min(8 - this.headerFill, chunk.length - offset);
      chunk.copy(this.header, this.headerFill, offset, offset + take);
      this.headerFill += take;
      offset += take;
      if (this.headerFill < 8) break;
      this.headerFill = 0;
      const type = this.header[0];
      if (type > 2) {
        throw new DemuxError(`corrupt multiplexed stream: frame type ${type} (expected 0, 1 or 2)`);
      }
      this.current = type === 2 ? 'stderr' : 'stdout';
      this.remaining = this.header.readUInt32BE(4);
    }
  }

  /** True when the stream ended cleanly on a frame boundary. */
  get atFrameBoundary(): boolean {
    return this.headerFill === 0 && this.remaining === 0;
  }
}

/**
 * UTF-8 decoder for one stream whose bytes arrive in pieces (a character may straddle pieces).
 * Uses `TextDecoder` with `stream: true`; invalid sequences become U+FFFD.
 */
export class StreamDecoder {
  private readonly decoder = new TextDecoder('utf-8');
  private readonly parts: string[] = [];

  /** Decode and keep `bytes`; returns the text decoded so far from this piece (may be ''). */
  write(bytes: Uint8Array): string {
    const text = this.decoder.decode(bytes, { stream: true });
    if (text) this.parts.push(text);
    return text;
  }

  /** Flush a trailing incomplete character (as U+FFFD) and return the whole text. */
  end(): string {
    const tail = this.decoder.decode();
    if (tail) this.parts.push(tail);
    return this.parts.join('');
  }
}

/**
 * Output of a container's attach or exec stream: {@link OutputCollector} demultiplexes (non-TTY)
 * and decodes stdout/stderr, {@link drain} reads a stream to its end into one.
 */
import { FrameDemuxer, StreamDecoder, type StreamName } from './demux';

/** Output collector: demultiplexes (non-TTY) or passes raw bytes (TTY), decodes per stream. */
export class OutputCollector {
  private readonly demuxer: FrameDemuxer | undefined;
  private readonly decoders = { stdout: new StreamDecoder(), stderr: new StreamDecoder() };

  constructor(
    tty: boolean,
    private readonly collect: boolean,
    private readonly onOutput?: (stream: StreamName, bytes: Buffer) => void,
  ) {
    this.demuxer = tty ? undefined : new FrameDemuxer((s, b) => this.emit(s, b));
  }

  /** Feed a chunk from the attach/exec stream. @throws DemuxError on a corrupt stream. */
  push(chunk: Buffer): void {
    if (this.demuxer) this.demuxer.push(chunk);
    else this.emit('stdout', chunk);
  }

  /** Decoded text of both streams. */
  finish(): { stdout: string; stderr: string } {
    return { stdout: this.decoders.stdout.end(), stderr: this.decoders.stderr.end() };
  }

  private emit(stream: StreamName, bytes: Buffer): void {
    if (this.collect) this.decoders[stream].write(bytes);
    this.onOutput?.(stream, bytes);
  }
}

/**
 * Read a stream to its end into `collector`. Resolves on 'end'/'close', rejects on 'error' or a
 * corrupt frame.
 */
export function drain(stream: NodeJS.ReadableStream, collector: OutputCollector): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      if (err) reject(err);
      else resolve();
    };
    stream.on('data', (chunk: Buffer) => {
      try {
        collector.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      } catch (err) {
        finish(err);
        (stream as unknown as { destroy?: () => void }).destroy?.();
      }
    });
    stream.on('end', () => finish());
    stream.on('close', () => finish());
    stream.on('error', (err) => finish(err));
  });
}

/**
 * The gateway's warm pool: K containers started ahead of time and already answering on their
 * port, each handed to exactly one login and never reused (a fresh container per login; only the
 * start latency is hidden).
 *
 * Why not the transaction pool (`engine/pool.ts`): its containers run an idle `sleep` and serve
 * one `exec`, with the transaction hardening and no network; a session container must run the
 * image's own server on the gateway's private network with a published port, and is ready only
 * when that port answers. This pool works over any {@link ContainerBackend}, so a Kubernetes
 * backend would get a pool of ready pods for free.
 */
import type { ContainerBackend, SessionContainer } from './backend';

/** A container for one login, and whether it came from the pool. */
export interface Acquired {
  container: SessionContainer;
  mode: 'cold' | 'warm';
}

/** K ready containers; {@link take} falls back to a cold start when none is idle. */
export class ReadyPool {
  private readonly idle: SessionContainer[] = [];
  private preparing = 0;
  private draining = false;
  private failedAt = 0;
  private readonly abort = new AbortController();

  /**
   * @param size K ≥ 0 (0: every login starts a container).
   * @param onError told about a container that could not be prepared (the pool then pauses 5 s).
   * @throws RangeError when size is not a whole number ≥ 0.
   */
  constructor(
    private readonly backend: ContainerBackend,
    readonly size: number,
    private readonly onError: (message: string) => void = () => undefined,
  ) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`the pool size must be a whole number ≥ 0, got ${size}`);
  }

  /** Idle ready containers now. */
  get idleCount(): number {
    return this.idle.length;
  }

  /** Begin (or continue) filling in the background. */
  fill(): void {
    if (this.draining || Date.now() - this.failedAt < 5000) return;
    while (this.idle.length + this.preparing < this.size) {
      this.preparing++;
      void this.backend.start(this.abort.signal).then(
        (c) => {
          this.preparing--;
          if (this.draining) void this.backend.remove(c.id);
          else {
            this.idle.push(c);
            this.fill();
          }
        },
        (err: Error) => {
          this.preparing--;
          if (this.draining) return;
          this.failedAt = Date.now();
          this.onError(`warm pool: ${err.message}`);
        },
      );
    }
  }

  /** Resolve when K containers are idle (benchmarks). @throws Error when the pool drains first. */
  async ready(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.failedAt = 0;
    this.fill();
    while (this.idle.length < this.size) {
      if (this.draining) throw new Error('the warm pool was drained');
      if (Date.now() > deadline) throw new Error(`the warm pool did not fill ${this.size} containers within ${timeoutMs / 1000} s`);
      if (this.preparing === 0) this.fill();
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /**
   * A fresh container for one login: an idle one (warm) or a new one (cold).
   * @throws LoginError from the backend for a cold start.
   */
  async take(signal?: AbortSignal): Promise<Acquired> {
    const c = this.idle.shift();
    this.fill();
    if (c) return { container: c, mode: 'warm' };
    return { container: await this.backend.start(signal), mode: 'cold' };
  }

  /** Stop refilling and remove the idle containers (and those still starting). Never throws. */
  async drain(): Promise<void> {
    this.draining = true;
    this.abort.abort();
    await Promise.all(this.idle.splice(0).map((c) => this.backend.remove(c.id)));
    while (this.preparing > 0) await new Promise((r) => setTimeout(r, 20));
  }
}

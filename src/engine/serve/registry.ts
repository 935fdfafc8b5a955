/**
 * The gateways running in this process, for the views: add, remove, list, and one change event
 * that fires when a gateway starts or stops or any of its sessions changes. No `vscode` import.
 */
import type { Gateway } from './gateway';

export class GatewayRegistry {
  private readonly items = new Map<Gateway, () => void>();
  private readonly listeners = new Set<() => void>();

  /** Running gateways, oldest first. */
  list(): Gateway[] {
    return [...this.items.keys()];
  }

  /** The gateway on a port, if it runs here. */
  byPort(port: number): Gateway | undefined {
    return this.list().find((g) => g.port === port);
  }

  /** Track a started gateway; it leaves the registry by itself once stopped. */
  add(gw: Gateway): void {
    if (this.items.has(gw)) return;
    this.items.set(
      gw,
      gw.onDidChange(() => {
        if (gw.stopped) this.delete(gw);
        this.fire();
      }),
    );
    this.fire();
  }

  private delete(gw: Gateway): void {
    this.items.get(gw)?.();
    this.items.delete(gw);
  }

  /** Stop every gateway (their containers and networks are removed). @returns the problems. */
  async stopAll(): Promise<string[]> {
    const problems = (await Promise.all(this.list().map((g) => g.stop()))).flat();
    for (const g of this.list()) this.delete(g);
    this.fire();
    return problems;
  }

  /** @returns unsubscribe. */
  onDidChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private fire(): void {
    for (const l of this.listeners) l();
  }
}

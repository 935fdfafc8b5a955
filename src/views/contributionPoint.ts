import * as vscode from 'vscode';

/**
 * A place where features plug into a view or provider they do not own (image item decorations,
 * extra FROM lenses): contributions are added and removed with a disposable, and the owner
 * re-renders on {@link onDidChange}. A contribution that throws is skipped, so it can never
 * break the owner.
 */
export class ContributionPoint<T> {
  private readonly items = new Set<T>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a contribution is added or removed, or reports new data through {@link refresh}. */
  readonly onDidChange = this.changed.event;

  /** Add a contribution; dispose to remove it. */
  add(item: T): vscode.Disposable {
    this.items.add(item);
    this.changed.fire();
    return new vscode.Disposable(() => {
      this.items.delete(item);
      this.changed.fire();
    });
  }

  /** Ask the owner to re-render (a contribution's data changed). */
  refresh(): void {
    this.changed.fire();
  }

  /** Call `fn` for each contribution; a throwing one is skipped. */
  forEach(fn: (item: T) => void): void {
    for (const item of this.items) {
      try {
        fn(item);
      } catch {
        // a broken contribution must not break the view or the other contributions
      }
    }
  }
}

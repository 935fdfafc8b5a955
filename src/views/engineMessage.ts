/**
 * What the Images and Containers views show while no engine is connected.
 *
 * VS Code hides a view's `viewsWelcome` content as soon as `TreeView.message` is set
 * (TreeViewPane.shouldShowWelcome), and welcome content is static markdown, so the dynamic list of
 * "what was tried and why it failed" cannot live in the welcome itself. The design is therefore:
 *  - connecting: the tree is empty and has no message, so the static `viewsWelcome` entry
 *    ("Connecting to the container engine…") shows;
 *  - disconnected: `TreeView.message` says in one sentence that no engine answered (it sits above
 *    the rows, so it is kept short); the tree's root holds the "Retry", "Open Settings" and
 *    "Show Log" items first (clickable, like the buttons of a welcome view: in a short side bar
 *    they must not be below the fold), then the explanation: why other sources were not tried (a
 *    row per note, the full text as tooltip; the log has it too) and one item per candidate tried
 *    (endpoint, source as description, the error as an expanded child row). This is what the
 *    Docker / Container Tools extension does with its "Failed to connect" items;
 *  - connected: message cleared, the view's own provider takes over.
 * When the state changes the tree refreshes itself, so the views recover with no user action.
 *
 * Use {@link createEngineAwareTreeView} for a view whose content comes from the engine.
 */
import * as vscode from 'vscode';
import type { EngineConnection, EngineState } from '../engine/connection';
import { describeCandidate, type CandidateAttempt } from '../engine/endpointProbe';

/** A root item shown instead of the view's content while the engine is not connected. */
export class EngineNotice extends vscode.TreeItem {
  constructor(
    label: string,
    init: Partial<vscode.TreeItem>,
    /** Child rows (the error of an attempt); shown expanded. */
    readonly children: EngineNotice[] = [],
  ) {
    super(label, children.length > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    Object.assign(this, init);
  }
}

/** The one-line message for a view in the given state; undefined when connected. */
export function engineMessage(state: EngineState): string | undefined {
  switch (state.kind) {
    case 'connected':
      return undefined;
    case 'connecting':
      return undefined; // the static viewsWelcome "Connecting…" entry shows instead
    case 'disconnected': {
      // One short sentence: the message sits above the rows, and the actions must stay in view.
      // The notes (why other sources were not tried) are rows after the actions.
      const n = state.attempts.length;
      return `No container engine answered (${n} endpoint${n === 1 ? '' : 's'} tried, retrying automatically).`;
    }
  }
}

function attemptItem(a: CandidateAttempt, index: number): EngineNotice {
  const tooltip = new vscode.MarkdownString();
  tooltip.appendText(describeCandidate(a));
  tooltip.appendMarkdown('\n\n');
  tooltip.appendText(a.error ?? 'answered');
  const id = `containerLineage.engineNotice.attempt.${index}`;
  const why = new EngineNotice(a.error ?? 'answered', {
    id: `${id}.error`,
    tooltip,
    iconPath: new vscode.ThemeIcon(a.error ? 'error' : 'pass', new vscode.ThemeColor(a.error ? 'problemsErrorIcon.foreground' : 'testing.iconPassed')),
    contextValue: 'engineAttemptError',
  });
  return new EngineNotice(
    a.endpoint || a.source,
    {
      id,
      description: a.endpoint ? `${a.source}${a.label ? ` · ${a.label}` : ''}` : undefined,
      tooltip,
      iconPath: new vscode.ThemeIcon(a.endpoint.startsWith('unix:') || a.endpoint.startsWith('npipe:') ? 'plug' : 'globe'),
      contextValue: 'engineAttempt',
    },
    [why],
  );
}

/**
 * Root items for a view while the engine is not connected: the actions first (Retry / Open
 * Settings / Show Log, so a short side bar shows them without scrolling), then the resolution's
 * notes, then one per attempt (endpoint, with the source as description and the error as an
 * expanded child row). Empty while connecting (so the welcome shows) and when connected.
 */
export function engineNoticeItems(state: EngineState): EngineNotice[] {
  if (state.kind !== 'disconnected') return [];
  return [
    new EngineNotice('Retry', {
      id: 'containerLineage.engineNotice.retry',
      iconPath: new vscode.ThemeIcon('refresh'),
      command: { command: 'containerLineage.engine.retry', title: 'Retry' },
      tooltip: 'Try every candidate again now',
    }),
    new EngineNotice('Open Settings', {
      id: 'containerLineage.engineNotice.settings',
      iconPath: new vscode.ThemeIcon('gear'),
      command: { command: 'workbench.action.openSettings', title: 'Open Settings', arguments: ['containerLineage.engine'] },
      tooltip: 'Set containerLineage.engine.host to choose the engine (same forms as DOCKER_HOST)',
    }),
    new EngineNotice('Show Log', {
      id: 'containerLineage.engineNotice.log',
      iconPath: new vscode.ThemeIcon('output'),
      command: { command: 'containerLineage.engine.showLog', title: 'Show Log' },
    }),
    ...(state.notes ?? []).map(noteItem),
    ...state.attempts.map(attemptItem),
  ];
}

/** A note of the resolution (e.g. why only DOCKER_HOST was tried): a row, the full text as tooltip. */
function noteItem(note: string, index: number): EngineNotice {
  return new EngineNotice(note, { id: `containerLineage.engineNotice.note.${index}`, tooltip: note, iconPath: new vscode.ThemeIcon('info'), contextValue: 'engineNote' });
}

/**
 * Keep `treeView.message` in step with the engine state.
 * @returns a disposable that stops following the state.
 */
export function attachEngineMessage(treeView: vscode.TreeView<unknown>, engine: EngineConnection): vscode.Disposable {
  const update = (state: EngineState) => {
    treeView.message = engineMessage(state);
  };
  update(engine.state);
  const sub = engine.onDidChangeState(update);
  return new vscode.Disposable(() => sub.dispose());
}

/**
 * Wrap a tree data provider so that, while the engine is not connected, the root shows the
 * {@link engineNoticeItems} (or nothing while connecting) instead of asking the inner provider,
 * and the whole tree refreshes on every engine state change. While connected it delegates fully.
 * The inner provider's getChildren is never called while disconnected.
 */
export class EngineGatedProvider<T> implements vscode.TreeDataProvider<T | EngineNotice>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<T | EngineNotice | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly inner: vscode.TreeDataProvider<T>,
    private readonly engine: EngineConnection,
  ) {
    const sub = engine.onDidChangeState(() => this.changed.fire());
    this.subscriptions.push(new vscode.Disposable(() => sub.dispose()), this.changed);
    if (inner.onDidChangeTreeData) {
      this.subscriptions.push(
        inner.onDidChangeTreeData((e) => {
          if (this.engine.state.kind === 'connected') this.changed.fire(e as T | undefined);
        }),
      );
    }
  }

  getTreeItem(element: T | EngineNotice): vscode.TreeItem | Thenable<vscode.TreeItem> {
    return element instanceof EngineNotice ? element : this.inner.getTreeItem(element);
  }

  getChildren(element?: T | EngineNotice): vscode.ProviderResult<Array<T | EngineNotice>> {
    if (element instanceof EngineNotice) return element.children;
    if (this.engine.state.kind !== 'connected') return element === undefined ? engineNoticeItems(this.engine.state) : [];
    return this.inner.getChildren(element);
  }

  getParent(element: T | EngineNotice): vscode.ProviderResult<T | EngineNotice> {
    if (element instanceof EngineNotice) {
      if (this.engine.state.kind !== 'disconnected') return undefined;
      return engineNoticeItems(this.engine.state).find((p) => p.children.some((c) => c.id === element.id));
    }
    return this.inner.getParent?.(element);
  }

  resolveTreeItem(item: vscode.TreeItem, element: T | EngineNotice, token: vscode.CancellationToken): vscode.ProviderResult<vscode.TreeItem> {
    if (element instanceof EngineNotice || !this.inner.resolveTreeItem) return item;
    return this.inner.resolveTreeItem(item, element, token);
  }

  dispose(): void {
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }
}

/**
 * Create a tree view whose content depends on the engine: the provider is wrapped in
 * {@link EngineGatedProvider} and the view's message follows the engine state. Everything is
 * pushed onto `subscriptions`.
 *
 * @example
 *   const view = createEngineAwareTreeView('containerLineage.images', new ImagesProvider(services), services.engine,
 *     services.context.subscriptions, { showCollapseAll: true });
 */
export function createEngineAwareTreeView<T>(
  viewId: string,
  provider: vscode.TreeDataProvider<T>,
  engine: EngineConnection,
  subscriptions: vscode.Disposable[],
  options: Omit<vscode.TreeViewOptions<T | EngineNotice>, 'treeDataProvider'> = {},
): vscode.TreeView<T | EngineNotice> {
  const gated = new EngineGatedProvider(provider, engine);
  const view = vscode.window.createTreeView<T | EngineNotice>(viewId, { ...options, treeDataProvider: gated });
  subscriptions.push(gated, view, attachEngineMessage(view as vscode.TreeView<unknown>, engine));
  return view;
}

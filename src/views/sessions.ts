/**
 * The Sessions view (one row per running gateway, its live sessions under it: short session id,
 * container, age, requests, bytes, login latency) and the status bar item with the gateway's URL
 * while one runs (click: open it in the browser). Reads the {@link GatewayRegistry}; commands act
 * on the rows' context values `gateway` and `session`.
 */
import * as vscode from 'vscode';
import { formatBytes } from '../core/format';
import type { SessionSnapshot } from '../core/sessions';
import type { Gateway } from '../engine/serve/gateway';
import type { GatewayRegistry } from '../engine/serve/registry';

export const SESSIONS_VIEW = 'containerLineage.sessions';

/** A row of the Sessions view. */
export type SessionsNode = { kind: 'gateway'; gateway: Gateway } | { kind: 'session'; gateway: Gateway; session: SessionSnapshot };

/** "42 s", "3 min 5 s", "2 h 4 min". */
export function shortAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** The description of a session row (pure, for tests). */
export function sessionDescription(s: SessionSnapshot, now: number): string {
  return `${s.target.containerName} · ${shortAge(now - s.createdAt)} · ${s.requests} req · ${formatBytes(s.bytesIn + s.bytesOut)} · login ${s.loginMs.toFixed(0)} ms (${s.mode})`;
}

export class SessionsProvider implements vscode.TreeDataProvider<SessionsNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<SessionsNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly unsubscribe: () => void;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly registry: GatewayRegistry) {
    // Many requests → many change events: redraw at most every 250 ms.
    this.unsubscribe = registry.onDidChange(() => {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.emitter.fire(undefined);
      }, 250);
    });
  }

  /** Redraw now (ages). */
  refresh(): void {
    this.emitter.fire(undefined);
  }

  getChildren(node?: SessionsNode): SessionsNode[] {
    if (!node) return this.registry.list().map((gateway) => ({ kind: 'gateway', gateway }));
    if (node.kind === 'gateway') return node.gateway.sessions().map((session) => ({ kind: 'session', gateway: node.gateway, session }));
    return [];
  }

  getTreeItem(node: SessionsNode): vscode.TreeItem {
    const now = Date.now();
    if (node.kind === 'gateway') {
      const g = node.gateway;
      const n = g.sessions().length;
      const item = new vscode.TreeItem(g.image, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `gateway:${g.port}`;
      item.description = `${g.url} · ${n}/${g.limits.maxSessions} sessions`;
      item.contextValue = 'gateway';
      item.iconPath = new vscode.ThemeIcon('globe');
      const st = g.stats();
      item.tooltip = new vscode.MarkdownString();
      item.tooltip.appendText(
        `${g.image} at ${g.url}\nOne private container per session; log out at ${g.logoutPath}.\n` +
          `Idle timeout ${g.limits.idleMs / 1000} s, at most ${g.limits.maxSessions} sessions (${g.limits.eviction === 'lru' ? 'least recently used evicted' : '503 beyond'}), warm pool ${g.poolIdle} ready.\n` +
          `Logins ${st.logins} (${st.warmLogins} warm), failed ${st.failedLogins}, refused ${st.refused}.`,
      );
      return item;
    }
    const s = node.session;
    const item = new vscode.TreeItem(s.id, vscode.TreeItemCollapsibleState.None);
    item.id = `session:${node.gateway.port}:${s.id}`;
    item.description = sessionDescription(s, now);
    item.contextValue = 'session';
    item.iconPath = new vscode.ThemeIcon(s.inFlight > 0 ? 'pulse' : 'account');
    item.tooltip = new vscode.MarkdownString();
    item.tooltip.appendText(
      `Session ${s.id}\nContainer ${s.target.containerName} (${s.target.containerId.slice(0, 12)}) at ${s.target.host}:${s.target.port}\n` +
        `Requests ${s.requests} (${s.inFlight} in flight), in ${formatBytes(s.bytesIn)}, out ${formatBytes(s.bytesOut)}\n` +
        `Login ${s.loginMs.toFixed(0)} ms (${s.mode === 'warm' ? 'warm pool' : 'fresh container'}), last request ${shortAge(now - s.lastSeenAt)} ago`,
    );
    return item;
  }

  dispose(): void {
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    this.emitter.dispose();
  }
}

/** Status bar item: the URL of the newest running gateway (and how many run); hidden when none. */
export function gatewayStatusItem(registry: GatewayRegistry): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('containerLineage.serve', vscode.StatusBarAlignment.Left, 9);
  item.name = 'Container Lineage: Session Gateway';
  const update = () => {
    const list = registry.list();
    const g = list[list.length - 1];
    if (!g) return item.hide();
    const n = g.sessions().length;
    item.text = `$(globe) ${g.url.replace(/\/$/, '')} · ${n} session${n === 1 ? '' : 's'}${list.length > 1 ? ` (+${list.length - 1} gateway${list.length > 2 ? 's' : ''})` : ''}`;
    item.tooltip = `Session gateway for ${g.image}: one private container per session. Click to open ${g.url} in the browser.`;
    item.command = { title: 'Open in Browser', command: 'containerLineage.serve.openInBrowser', arguments: [{ kind: 'gateway', gateway: g }] };
    item.accessibilityInformation = { label: `Session gateway at ${g.url}, ${n} sessions` };
    item.show();
  };
  const unsubscribe = registry.onDidChange(update);
  update();
  return new vscode.Disposable(() => {
    unsubscribe();
    item.dispose();
  });
}

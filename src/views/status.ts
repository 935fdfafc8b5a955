/**
 * Status bar item naming the connected engine: `$(server) Docker Engine 20.10.24 (API 1.41)`,
 * `$(server) Podman 4.3.1 (API 1.41)`.
 * Tooltip: endpoint, where it came from, platform and OS. Disconnected: warning icon and
 * background; clicking retries (and reveals the log if it fails again). Connecting: spinner.
 */
import * as vscode from 'vscode';
import type { EngineState } from '../engine/connection';
import { describeCandidate } from '../engine/endpointProbe';
import type { Services } from '../services';

/** Status bar text, tooltip and click command for a state (pure apart from vscode value types). */
export function statusPresentation(state: EngineState): { text: string; tooltip: vscode.MarkdownString; command: string; warning: boolean } {
  const tooltip = new vscode.MarkdownString();
  switch (state.kind) {
    case 'connecting':
      tooltip.appendText('Container Lineage: looking for a container engine…');
      return { text: '$(sync~spin) Engine…', tooltip, command: 'containerLineage.engine.showLog', warning: false };
    case 'connected': {
      const { info } = state;
      tooltip.appendMarkdown('**');
      tooltip.appendText(info.title);
      tooltip.appendMarkdown('**\n\n');
      tooltip.appendText(`API ${info.apiVersion}`);
      if (info.builderVersion && info.kind === 'podman') {
        tooltip.appendMarkdown('\n\n');
        tooltip.appendText(`Builds: Buildah ${info.builderVersion}`);
      }
      tooltip.appendMarkdown('\n\n');
      tooltip.appendText(`Endpoint: ${state.endpoint} (from ${state.source})`);
      if (info.platform) {
        tooltip.appendMarkdown('\n\n');
        tooltip.appendText(`Platform: ${info.platform}`);
      }
      if (info.os) {
        tooltip.appendMarkdown('\n\n');
        tooltip.appendText(`OS: ${info.os}${info.kernelVersion ? `, kernel ${info.kernelVersion}` : ''}`);
      }
      tooltip.appendMarkdown('\n\nClick to show the Container Lineage log.');
      return { text: `$(server) ${info.title} (API ${info.apiVersion})`, tooltip, command: 'containerLineage.engine.showLog', warning: false };
    }
    case 'disconnected': {
      tooltip.appendMarkdown('**No container engine answered.** Tried:\n\n');
      for (const a of state.attempts) {
        tooltip.appendMarkdown('- ');
        tooltip.appendText(`${describeCandidate(a)}: ${a.error ?? 'answered'}`);
        tooltip.appendMarkdown('\n');
      }
      for (const n of state.notes ?? []) {
        tooltip.appendMarkdown('\n');
        tooltip.appendText(n);
        tooltip.appendMarkdown('\n');
      }
      tooltip.appendMarkdown('\nRetrying automatically. Click to retry now.');
      return { text: '$(warning) No engine', tooltip, command: 'containerLineage.engine.retry', warning: true };
    }
  }
}

/** Create the status bar item and keep it in step with the engine state. */
export function registerStatusBar(services: Services): void {
  const item = vscode.window.createStatusBarItem('containerLineage.engine', vscode.StatusBarAlignment.Left, 10);
  item.name = 'Container Lineage: Engine';
  const update = (state: EngineState) => {
    const p = statusPresentation(state);
    item.text = p.text;
    item.tooltip = p.tooltip;
    item.command = p.command;
    item.backgroundColor = p.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    item.accessibilityInformation = { label: p.text.replace(/\$\([^)]*\)\s*/g, '') };
  };
  update(services.engine.state);
  item.show();
  const sub = services.engine.onDidChangeState(update);
  services.context.subscriptions.push(item, new vscode.Disposable(() => sub.dispose()));
}

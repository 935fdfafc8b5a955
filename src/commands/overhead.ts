/**
 * Commands of the overhead feature: "Measure Overhead…" (palette, an image, a container) opens the
 * Container Overhead panel; "Cancel Overhead Experiment" stops a running one (its containers are
 * removed). `containerLineage.overhead.testProbe` is an internal hook (not in the palette) used by
 * the VS Code test suite to read what the page rendered.
 */
import * as vscode from 'vscode';
import type { OverheadReport } from '../core/experiment';
import { bestRepoTag, type ImageRecord } from '../core/lineage';
import type { Services } from '../services';
import { OverheadPanel, type OpenTarget } from '../webview/overheadPanel';
import type { ProbeResult, RunRequest } from '../webview/protocol';

/**
 * What a "Measure Overhead…" invocation targets, from a tree item (Images view image/container,
 * Containers view container), a string image reference, or `{ image }` / `{ containerId }`.
 */
export function overheadTarget(arg: unknown): OpenTarget {
  if (typeof arg === 'string') return { image: arg };
  if (!arg || typeof arg !== 'object') return {};
  const a = arg as Record<string, any>;
  if (typeof a.image === 'string') return { image: a.image };
  if (typeof a.containerId === 'string') return { containerId: a.containerId };
  if (a.kind === 'image' && a.node?.image) {
    const img = a.node.image as ImageRecord;
    return { image: bestRepoTag(img) ?? img.id };
  }
  if (a.kind === 'container' && a.container && typeof a.container.id === 'string') {
    return { containerId: a.container.id, image: typeof a.container.image === 'string' ? a.container.image : undefined };
  }
  return {};
}

/** Register the overhead commands (palette, view item menus, test hook). */
export function registerOverhead(services: Services): void {
  services.context.subscriptions.push(
    vscode.commands.registerCommand('containerLineage.measureOverhead', (arg?: unknown) => {
      try {
        services.engine.docker();
      } catch {
        void vscode.window.showWarningMessage('No container engine is connected; the overhead panel needs one to run experiments.');
      }
      const target = overheadTarget(arg);
      // For a container, the panel watches it live; the form keeps its image for a new experiment.
      OverheadPanel.show(services, target);
    }),
    vscode.commands.registerCommand('containerLineage.cancelOverhead', () => {
      if (!OverheadPanel.current) return;
      OverheadPanel.current.cancel();
    }),
    vscode.commands.registerCommand(
      'containerLineage.overhead.testProbe',
      async (arg?: { report?: OverheadReport; run?: RunRequest; timeoutMs?: number }): Promise<ProbeResult & { report?: OverheadReport }> => {
        if (!arg?.report && !arg?.run && !OverheadPanel.current) throw new Error('no Container Overhead panel is open');
        const panel = OverheadPanel.current ?? OverheadPanel.show(services);
        if (arg?.report) panel.showReport(arg.report);
        // Same path as the page's Run button (the page cannot be clicked from the extension host).
        if (arg?.run) await panel.run(arg.run);
        // The page renders asynchronously: probe until it shows the current report
        // (its description line; strings are still checked by the caller, so escaping bugs fail).
        let probe = await panel.probe(arg?.timeoutMs);
        for (let i = 0; i < 20 && panel.report && !probe.text.includes(`${panel.report.description}. n = `); i++) {
          await new Promise((r) => setTimeout(r, 250));
          probe = await panel.probe();
        }
        return { ...probe, report: panel.report };
      },
    ),
    { dispose: () => OverheadPanel.current?.dispose() },
  );
}

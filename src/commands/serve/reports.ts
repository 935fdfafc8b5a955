/**
 * The gateway's two reports in VS Code: "Check Gateway Isolation…" (two sessions, evidence in
 * the log and a notification) and "Measure Gateway Cost…" (the cost section of the Container
 * Overhead panel). Both accept `{ image, containerPort, … }` instead of prompts and return their report.
 */
import * as vscode from 'vscode';
import { formatServeCostText, type ServeCostReport } from '../../core/serveCost';
import { formatServeIsolationText, type ServeIsolationReport } from '../../core/serveIsolation';
import { measureServeCost } from '../../engine/serve/cost';
import { checkServeIsolation } from '../../engine/serve/isolation';
import { OverheadPanel } from '../../webview/overheadPanel';
import { pickImage, securityFromSettings } from '../throwawayInput';
import type { ServeFeature } from './index';
import { askContainerPort } from './prompts';

/** Arguments of the two report commands instead of prompts. */
export interface ServeReportArgs {
  image: string;
  containerPort: number;
  /** Path requested (default '/'). */
  path?: string;
  /** Cost: concurrent sessions (default: asked, 10). */
  sessions?: number;
  /** Cost: requests per session (default 10). */
  requests?: number;
  labels?: Record<string, string>;
  quiet?: boolean;
}

async function target(feature: ServeFeature, arg: unknown, what: string): Promise<ServeReportArgs | undefined> {
  if (arg && typeof arg === 'object' && 'containerPort' in (arg as object)) return arg as ServeReportArgs;
  const image = await pickImage(feature.images, arg, `Image to ${what}`);
  if (!image) return undefined;
  const containerPort = await askContainerPort(feature, image);
  return containerPort ? { image, containerPort } : undefined;
}

/** Register "Check Gateway Isolation…" and "Measure Gateway Cost…". */
export function registerServeReports(feature: ServeFeature): void {
  const { services } = feature;
  const readyTimeoutMs = () => vscode.workspace.getConfiguration('containerLineage.serve').get<number>('readyTimeoutSeconds', 30) * 1000;
  services.context.subscriptions.push(
    vscode.commands.registerCommand('containerLineage.serve.checkIsolation', async (arg?: unknown): Promise<ServeIsolationReport | undefined> => {
      const t = await target(feature, arg, 'check the isolation of its sessions on');
      if (!t) return undefined;
      try {
        const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Checking that two sessions of ${t.image} see nothing of each other…` }, () =>
          checkServeIsolation(feature.runner(t.labels), { image: t.image, containerPort: t.containerPort, path: t.path, security: securityFromSettings().security, readyTimeoutMs: readyTimeoutMs() }),
        );
        services.log[report.passed ? 'info' : 'warn'](`serve isolation:\n${formatServeIsolationText(report)}`);
        if (!t.quiet) {
          const show = (c: string | undefined) => c && services.log.show(true);
          void (report.passed ? vscode.window.showInformationMessage(report.summary, 'Show Evidence') : vscode.window.showErrorMessage(report.summary, 'Show Evidence')).then(show);
        }
        return report;
      } catch (err) {
        void vscode.window.showErrorMessage(`The gateway isolation check on ${t.image} could not run: ${(err as Error).message}`);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('containerLineage.serve.measureCost', async (arg?: unknown): Promise<ServeCostReport | undefined> => {
      const t = await target(feature, arg, 'measure the cost of a container per session on');
      if (!t) return undefined;
      let sessions = t.sessions;
      if (sessions === undefined) {
        const v = await vscode.window.showInputBox({
          prompt: 'Concurrent sessions (N): logins at once, then requests from each',
          value: '10',
          validateInput: (x) => (/^\d+$/.test(x.trim()) && Number(x) >= 1 && Number(x) <= 100 ? undefined : 'Enter a whole number from 1 to 100.'),
        });
        if (v === undefined) return undefined;
        sessions = Number(v.trim());
      }
      try {
        const report = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `Measuring a container per session on ${t.image}`, cancellable: true },
          (progress, token) => {
            const ac = new AbortController();
            token.onCancellationRequested(() => ac.abort());
            return measureServeCost(feature.runner(t.labels), {
              image: t.image,
              containerPort: t.containerPort,
              sessions,
              requests: t.requests,
              path: t.path,
              security: securityFromSettings().security,
              readyTimeoutMs: readyTimeoutMs(),
              signal: ac.signal,
              onProgress: (message) => progress.report({ message }),
            });
          },
        );
        services.log.info(`serve cost:\n${formatServeCostText(report)}`);
        OverheadPanel.show(services).showServeCost(report);
        return report;
      } catch (err) {
        void vscode.window.showErrorMessage(`Measuring the gateway on ${t.image} failed: ${(err as Error).message}`);
        return undefined;
      }
    }),
  );
}

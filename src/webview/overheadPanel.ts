/**
 * The "Container Overhead" webview panel: runs the overhead experiment, shows its report as
 * charts (Chart.js from media/vendor) and a table, exports JSON/CSV, copies Markdown, and draws
 * live CPU/memory of chosen running containers.
 *
 * Security: strict CSP (`default-src 'none'`, scripts only with a per-load nonce, styles and
 * images only from the webview's own resource origin), `localResourceRoots` limited to `media/`,
 * no data inlined into the HTML — the state travels by postMessage and `media/overhead.js`
 * renders every engine string with `textContent`. Messages from the webview are validated by
 * `protocol.ts` and rejected (logged) when they do not match.
 *
 * No `retainContextWhenHidden`: the page saves its state with `vscode.setState` and the host
 * keeps the same state (report, progress, live points) and re-sends it on `ready`, so a hidden
 * and restored panel looks the same without keeping a hidden page alive.
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import type { OverheadReport } from '../core/experiment';
import type { ServeCostReport } from '../core/serveCost';
import { reportToCsv, reportToMarkdown } from '../core/overheadReport';
import { runOverheadExperiment } from '../engine/overhead';
import { listRunningContainers, streamStats } from '../engine/stats';
import type { Services } from '../services';
import { overheadHtml } from './overheadHtml';
import { parseWebviewMessage, ProtocolError, type HostMessage, type PanelState, type ProbeResult, type RunRequest, type WebviewMessage } from './protocol';

export const OVERHEAD_VIEW_TYPE = 'containerLineage.overhead';
/** Global state: the folder of the last Export JSON/CSV (a URI string), proposed next time. */
export const LAST_EXPORT_FOLDER_KEY = 'containerLineage.overhead.lastExportFolder';
const MAX_LIVE_POINTS = 120;

/** What the panel is opened for. */
export interface OpenTarget {
  image?: string;
  containerId?: string;
}

function config() {
  const c = vscode.workspace.getConfiguration('containerLineage.overhead');
  return {
    n: c.get<number>('repetitions', 10),
    warmups: c.get<number>('warmups', 1),
    lifecycleRuns: c.get<number>('lifecycleRuns', 5),
    defaultImage: c.get<string>('defaultImage', 'busybox:latest'),
    workload: c.get<string>('defaultWorkload', 'cpu'),
  };
}

export class OverheadPanel implements vscode.Disposable {
  static current: OverheadPanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private readonly state: PanelState;
  private experiment: AbortController | undefined;
  private readonly watches = new Map<string, { ctl: AbortController; t0: number }>();
  private readonly probes = new Map<string, (r: ProbeResult) => void>();

  /** Show the panel (creating it if needed) and apply the target (image for the form, container to watch). */
  static show(services: Services, target: OpenTarget = {}): OverheadPanel {
    if (OverheadPanel.current) {
      OverheadPanel.current.panel.reveal();
    } else {
      const panel = vscode.window.createWebviewPanel(OVERHEAD_VIEW_TYPE, 'Container Overhead', vscode.ViewColumn.Active, {
        enableScripts: true,
        localResourceRoots: [vscode.Uri.joinPath(services.context.extensionUri, 'media')],
      });
      OverheadPanel.current = new OverheadPanel(services, panel);
    }
    OverheadPanel.current.apply(target);
    return OverheadPanel.current;
  }

  private constructor(
    private readonly services: Services,
    readonly panel: vscode.WebviewPanel,
  ) {
    const c = config();
    this.state = {
      form: { image: c.defaultImage, workload: (['cpu', 'memory', 'io', 'net', 'custom'].includes(c.workload) ? c.workload : 'cpu') as RunRequest['workload'], n: c.n },
      running: false,
      containers: [],
      watched: [],
      live: {},
    };
    panel.iconPath = vscode.Uri.joinPath(services.context.extensionUri, 'media', 'lineage.svg');
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        let msg: WebviewMessage;
        try {
          msg = parseWebviewMessage(raw);
        } catch (err) {
          if (err instanceof ProtocolError) {
            this.services.log.warn(`Container Overhead: rejected a webview message: ${err.message}`);
            return;
          }
          throw err;
        }
        void this.onMessage(msg).catch((err: unknown) => this.post({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
      }),
    );
  }

  /** The last report shown (for tests and commands). */
  get report(): OverheadReport | undefined {
    return this.state.report;
  }

  private apply(target: OpenTarget): void {
    if (target.image) {
      this.state.form = { ...this.state.form, image: target.image };
      this.sendState();
    }
    if (target.containerId && !this.state.watched.includes(target.containerId)) {
      void this.refreshContainers().then(() => this.watch([...this.state.watched, target.containerId!]));
    }
  }

  private post(message: HostMessage): void {
    void this.panel.webview.postMessage(message);
  }

  private sendState(): void {
    this.post({ type: 'state', state: this.state });
  }

  /** Show a report (also used by the test hook with recorded results). */
  showReport(report: OverheadReport): void {
    this.state.report = report;
    this.post({ type: 'report', report });
  }

  /** Show a session-gateway cost measurement in its own section (media/serve-cost.js). */
  showServeCost(report: ServeCostReport): void {
    this.state.serveCost = report;
    this.post({ type: 'serveCost', report });
  }

  /**
   * Test hook: ask the page what it rendered.
   * @throws Error when the page does not answer within `timeoutMs`.
   */
  probe(timeoutMs = 15000): Promise<ProbeResult> {
    const requestId = randomBytes(8).toString('hex');
    return new Promise((resolve, reject) => {
      // Re-ask every 500 ms: a message posted before the page has loaded is dropped.
      const again = setInterval(() => this.post({ type: 'probe', requestId }), 500);
      const timer = setTimeout(() => {
        clearInterval(again);
        this.probes.delete(requestId);
        reject(new Error('the Container Overhead page did not answer the probe'));
      }, timeoutMs);
      this.probes.set(requestId, (r) => {
        clearInterval(again);
        clearTimeout(timer);
        resolve(r);
      });
      this.post({ type: 'probe', requestId });
    });
  }

  private async onMessage(msg: WebviewMessage): Promise<void> {
    switch (msg.type) {
      case 'ready':
        this.sendState();
        await this.refreshContainers();
        return;
      case 'run':
        await this.run(msg);
        return;
      case 'cancel':
        this.experiment?.abort();
        return;
      case 'export':
        return this.export(msg.format);
      case 'copyMarkdown':
        if (!this.state.report) return void vscode.window.showInformationMessage('Run an experiment first; there is no report to copy yet.');
        await vscode.env.clipboard.writeText(reportToMarkdown(this.state.report));
        void vscode.window.showInformationMessage('Overhead report copied as Markdown.');
        return;
      case 'refreshContainers':
        return this.refreshContainers();
      case 'watch':
        return this.watch(msg.containerIds);
      case 'probeResult': {
        const done = this.probes.get(msg.requestId);
        this.probes.delete(msg.requestId);
        done?.({ text: msg.text, injectedElements: msg.injectedElements, charts: msg.charts, scriptRan: msg.scriptRan });
        return;
      }
    }
  }

  /** Run the experiment with a cancellable progress notification. */
  async run(req: RunRequest): Promise<OverheadReport | undefined> {
    if (this.experiment) {
      void vscode.window.showWarningMessage('An overhead experiment is already running; cancel it first.');
      return undefined;
    }
    const docker = this.services.engine.docker();
    const c = config();
    if (req.workload === 'custom') {
      // The page asked to run commands on this machine: confirm outside the webview, so nothing a
      // page could be tricked into sending runs a host command without the user's say-so.
      const host = req.hostCommand?.trim() ? req.hostCommand : req.command ?? '';
      const ok = await vscode.window.showWarningMessage(
        'Run this custom workload?',
        { modal: true, detail: `In containers of ${req.image}: sh -c ${req.command ?? ''}\nOn this machine: /bin/sh -c ${host}\n\nEach runs ${req.n} times plus warm-ups.` },
        'Run',
      );
      if (ok !== 'Run') return undefined;
    }
    this.state.form = req;
    this.state.running = true;
    this.sendState();
    const ctl = new AbortController();
    this.experiment = ctl;
    void vscode.commands.executeCommand('setContext', 'containerLineage.overhead.running', true);
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Measuring container overhead (${req.workload}) on ${req.image}`, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => ctl.abort());
          let last = 0;
          const report = await runOverheadExperiment(docker, {
            image: req.image,
            workload: req.workload,
            n: req.n,
            warmups: c.warmups,
            lifecycleRuns: c.lifecycleRuns,
            command: req.workload === 'custom' ? ['sh', '-c', req.command ?? ''] : undefined,
            hostCommand: req.workload === 'custom' && req.hostCommand?.trim() ? ['/bin/sh', '-c', req.hostCommand] : undefined,
            signal: ctl.signal,
            onProgress: (p) => {
              const pct = (p.done / Math.max(1, p.total)) * 100;
              progress.report({ message: `${p.done}/${p.total} ${p.message}`, increment: pct - last });
              last = pct;
              this.state.progress = p;
              this.post({ type: 'progress', ...p });
            },
          });
          this.showReport(report);
          this.services.log.info(`Container Overhead: run ${report.runId} ${report.cancelled ? 'cancelled' : 'finished'}`);
          if (report.cancelled) void vscode.window.showInformationMessage('Overhead experiment cancelled; its containers were removed.');
          return report;
        },
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.post({ type: 'error', message });
      void vscode.window.showErrorMessage(`Overhead experiment failed: ${message}`);
      return undefined;
    } finally {
      this.experiment = undefined;
      void vscode.commands.executeCommand('setContext', 'containerLineage.overhead.running', false);
      this.state.running = false;
      this.state.progress = undefined;
      this.post({ type: 'running', running: false });
    }
  }

  /** Cancel a running experiment (its containers are removed). */
  cancel(): void {
    this.experiment?.abort();
  }

  private async export(format: 'json' | 'csv'): Promise<void> {
    const report = this.state.report;
    if (!report) return void vscode.window.showInformationMessage('Run an experiment first; there is no report to export yet.');
    // The folder of the last export, else the home folder (never the workspace: it is often a repository).
    const last = this.services.context.globalState.get<string>(LAST_EXPORT_FOLDER_KEY);
    const base = last ? vscode.Uri.parse(last) : vscode.Uri.file(homedir());
    const uri = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(base, `overhead-${report.workload}-${report.runId}.${format}`),
      filters: format === 'json' ? { JSON: ['json'] } : { CSV: ['csv'] },
      saveLabel: `Export ${format.toUpperCase()}`,
      title: `Export Overhead Report as ${format.toUpperCase()}`,
    });
    if (!uri) return;
    const text = format === 'json' ? JSON.stringify(report, null, 2) + '\n' : reportToCsv(report);
    await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
    await this.services.context.globalState.update(LAST_EXPORT_FOLDER_KEY, vscode.Uri.joinPath(uri, '..').toString());
    void vscode.window.showInformationMessage(`Overhead report saved to ${uri.fsPath}`);
  }

  private async refreshContainers(): Promise<void> {
    try {
      this.state.containers = await listRunningContainers(this.services.engine.docker());
    } catch (err) {
      this.state.containers = [];
      this.services.log.warn(`Container Overhead: cannot list containers: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.post({ type: 'containers', containers: this.state.containers });
  }

  /** Watch exactly these containers' live stats (others stop). */
  private async watch(ids: string[]): Promise<void> {
    const wanted = new Set(ids.map((id) => this.state.containers.find((c) => c.id === id || c.id.startsWith(id))?.id ?? id));
    for (const [id, w] of this.watches) {
      if (!wanted.has(id)) {
        w.ctl.abort();
        this.watches.delete(id);
      }
    }
    this.state.watched = [...wanted];
    const docker = this.services.engine.docker();
    for (const id of wanted) {
      if (this.watches.has(id)) continue;
      const w = { ctl: new AbortController(), t0: Date.now() };
      this.watches.set(id, w);
      const name = this.state.containers.find((c) => c.id === id)?.name ?? id.slice(0, 12);
      this.state.live[id] = { name, points: [] };
      void streamStats(
        docker,
        id,
        (sample, container) => {
          const point = { t: Date.now() - w.t0, cpuPercent: sample.cpuPercent, memoryBytes: sample.memoryBytes };
          const entry = (this.state.live[id] ??= { name: container.name, points: [] });
          entry.name = container.name;
          entry.points.push(point);
          if (entry.points.length > MAX_LIVE_POINTS) entry.points.splice(0, entry.points.length - MAX_LIVE_POINTS);
          this.post({ type: 'live', containerId: id, name: container.name, point, sample });
        },
        { signal: w.ctl.signal },
      ).then((end) => {
        if (this.watches.get(id) === w) this.watches.delete(id);
        if (end.reason === 'cancelled') return;
        const message = end.message;
        if (this.state.live[id]) this.state.live[id].ended = message;
        this.post({ type: 'liveEnded', containerId: id, message });
      });
    }
    this.sendState();
  }

  private html(): string {
    const webview = this.panel.webview;
    const media = vscode.Uri.joinPath(this.services.context.extensionUri, 'media');
    const nonce = randomBytes(16).toString('base64');
    const chart = webview.asWebviewUri(vscode.Uri.joinPath(media, 'vendor', 'chart.umd.js'));
    const script = webview.asWebviewUri(vscode.Uri.joinPath(media, 'overhead.js'));
    const css = webview.asWebviewUri(vscode.Uri.joinPath(media, 'overhead.css'));
    const serveCost = webview.asWebviewUri(vscode.Uri.joinPath(media, 'serve-cost.js'));
    return overheadHtml({ cspSource: webview.cspSource, nonce, chartUri: chart.toString(), scriptUri: script.toString(), cssUri: css.toString(), serveCostUri: serveCost.toString() });
  }

  dispose(): void {
    if (OverheadPanel.current === this) OverheadPanel.current = undefined;
    this.experiment?.abort();
    for (const w of this.watches.values()) w.ctl.abort();
    this.watches.clear();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}

/**
 * Code lenses over every `FROM` line of a Dockerfile: whether the base image is present locally
 * and how many child images it has (from the lineage model), "Build child image" on the stages
 * that can be built, "Show in tree" for a present base, and a clear word when the base is
 * unresolved, invalid, missing, an earlier stage or scratch.
 *
 * Lenses follow the text as it is typed (VS Code re-asks after edits; the model is cached per
 * document version) and follow the engine through the lineage source the Images view uses: the
 * same event stream and snapshot, so a new child image shows in the tree and in the lens count
 * on the same event. Nothing is fetched while no Dockerfile and no lineage view is visible.
 */
import * as vscode from 'vscode';
import type { Services } from '../services';
import { parseDockerfile, type DockerfileModel } from '../core/dockerfile';
import { buildLineage } from '../core/lineage';
import { planFromLenses, statusTitle, type LocalImageView } from '../core/fromlens';
import type { LineageSource } from '../engine/lineageSource';
import { lineageSourceFor } from '../views/sharedSource';
import { BUILD_COMMAND, isDockerfileDocument } from '../core/commandIds';
import { revealImageInTree } from '../views/reveal';
import { contributedFromLenses, fromLensContributors } from './fromLensContributions';

export const SHOW_IN_TREE_COMMAND = 'containerLineage.showBaseInTree';
export const GO_TO_STAGE_COMMAND = 'containerLineage.goToStage';

/** Documents the lenses apply to. */
export const DOCKERFILE_SELECTOR: vscode.DocumentSelector = [
  { language: 'dockerfile' },
  { pattern: '**/{Dockerfile,Containerfile,Dockerfile.*,Containerfile.*,*.Dockerfile,*.dockerfile,*.Containerfile}' },
];

/**
 * Local images for the lenses, from the lineage source the Images view uses (one event stream,
 * one snapshot): the lenses and the tree change on the same engine event. While a Dockerfile is
 * visible the lenses hold the source active (events followed); otherwise they fetch nothing.
 */
class LocalImages implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private hold: { dispose(): void } | undefined;
  private cache: { version: number; hide: boolean; view: LocalImageView } | undefined;
  private readonly subscription: { dispose(): void };
  private readonly config = vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration('containerLineage.images.showDangling')) this.changed.fire();
  });

  constructor(private readonly source: LineageSource) {
    // Container-only refreshes keep the images array: the lenses need not re-render for them.
    let images = source.snapshot?.images;
    this.subscription = source.onDidChange(() => {
      if (source.snapshot?.images === images) return;
      images = source.snapshot?.images;
      this.changed.fire();
    });
  }

  /** Start or stop following the engine (only while a Dockerfile is visible). */
  setWatching(on: boolean): void {
    if (on && !this.hold) this.hold = this.source.acquire();
    else if (!on && this.hold) {
      this.hold.dispose();
      this.hold = undefined;
    }
  }

  /**
   * Current images and their forest, as the Images view counts them (the same dangling setting),
   * loading a snapshot once when needed; undefined when the engine is unavailable.
   */
  async get(): Promise<LocalImageView | undefined> {
    const snap = this.source.snapshot ?? (await this.source.ensureSnapshot().catch(() => undefined));
    if (!snap) return undefined;
    const hide = !vscode.workspace.getConfiguration('containerLineage').get<boolean>('images.showDangling', true);
    if (this.cache?.version !== snap.version || this.cache.hide !== hide) {
      this.cache = { version: snap.version, hide, view: { images: snap.images, forest: buildLineage(snap.images, [], { hideDangling: hide, names: snap.dialect.names }), names: snap.dialect.names } };
    }
    return this.cache.view;
  }

  dispose(): void {
    this.hold?.dispose();
    this.subscription.dispose();
    this.config.dispose();
    this.changed.dispose();
  }
}

/** One lens before it becomes a vscode.CodeLens. */
export interface FromLensSpec {
  line: number;
  title: string;
  command?: string;
  arguments?: unknown[];
  tooltip?: string;
}

/** Turn the planned lenses ({@link planFromLenses}) into titles and commands. */
export function fromLenses(model: DockerfileModel, uri: vscode.Uri, local: LocalImageView | undefined): FromLensSpec[] {
  const out: FromLensSpec[] = [];
  for (const p of planFromLenses(model, local)) {
    const st = p.status;
    const spec: FromLensSpec = { line: p.line, title: statusTitle(st) };
    if (st.kind === 'present') spec.tooltip = `${st.imageTag} = ${st.imageId}`;
    else if (st.kind === 'missing') spec.tooltip = 'A build would try to pull it from its registry.';
    else if (st.kind === 'unknown') spec.tooltip = 'Connect to an engine to see whether the base image is present.';
    else if (st.kind === 'stage') {
      spec.command = GO_TO_STAGE_COMMAND;
      spec.arguments = [uri, st.line];
    }
    out.push(spec);
    if (p.showInTree) out.push({ line: p.line, title: 'Show in tree', command: SHOW_IN_TREE_COMMAND, arguments: [p.showInTree], tooltip: 'Reveal the base image in the Images view' });
    if (p.buildTarget !== undefined) {
      out.push({
        line: p.line,
        title: `$(play) Build child image${p.buildTarget === null ? '' : ` (stage ${p.buildTarget})`}`,
        command: BUILD_COMMAND,
        arguments: [uri, p.buildTarget === null ? {} : { target: p.buildTarget }],
      });
    }
  }
  return out;
}

class FromLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private cache = new Map<string, { version: number; model: DockerfileModel }>();

  constructor(private readonly local: LocalImages) {
    local.onDidChange(() => this.changed.fire());
    fromLensContributors.onDidChange(() => this.changed.fire());
  }

  private model(doc: vscode.TextDocument): DockerfileModel {
    const key = doc.uri.toString();
    const c = this.cache.get(key);
    if (c && c.version === doc.version) return c.model;
    const model = parseDockerfile(doc.getText());
    this.cache.set(key, { version: doc.version, model });
    return model;
  }

  forget(doc: vscode.TextDocument): void {
    this.cache.delete(doc.uri.toString());
  }

  async provideCodeLenses(doc: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    if (!isDockerfileDocument(doc)) return [];
    const model = this.model(doc);
    if (model.stages.length === 0) return [];
    this.local.setWatching(true);
    const local = await this.local.get();
    if (token.isCancellationRequested) return [];
    // Contributed lenses (e.g. "base rebuilt since …") first on their line: they need attention.
    return [...contributedFromLenses(doc, model, local?.images, local?.names), ...fromLenses(model, doc.uri, local)].map((l) => {
      const range = new vscode.Range(l.line, 0, l.line, 0);
      return new vscode.CodeLens(range, { title: l.title, command: l.command ?? '', arguments: l.arguments, tooltip: l.tooltip });
    });
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** Register the FROM code lenses and their commands. */
export function registerFromLenses(services: Services): void {
  const { context } = services;
  const local = new LocalImages(lineageSourceFor(services));
  const provider = new FromLensProvider(local);
  const syncWatching = () => local.setWatching(vscode.window.visibleTextEditors.some((e) => isDockerfileDocument(e.document)));
  context.subscriptions.push(
    local,
    provider,
    vscode.languages.registerCodeLensProvider(DOCKERFILE_SELECTOR, provider),
    vscode.window.onDidChangeVisibleTextEditors(syncWatching),
    vscode.workspace.onDidCloseTextDocument((d) => provider.forget(d)),
    vscode.commands.registerCommand(SHOW_IN_TREE_COMMAND, (imageId: string) => revealImageInTree(imageId)),
    vscode.commands.registerCommand(GO_TO_STAGE_COMMAND, async (uri: vscode.Uri, line: number) => {
      const editor = await vscode.window.showTextDocument(uri, { preserveFocus: false });
      const pos = new vscode.Position(line, 0);
      editor.selection = new vscode.Selection(pos, pos);
      editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }),
  );
  syncWatching();
}

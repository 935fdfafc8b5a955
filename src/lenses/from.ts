/**
 * Code lenses over every `FROM` line of a Dockerfile: whether the base image is present locally
 * and how many child images it has (from the lineage model), "Build child image" on the stages
 * that can be built, "Show in tree" for a present base, and a clear word when the base is
 * unresolved, invalid, missing, an earlier stage or scratch.
 *
 * Lenses follow the text as it is typed (VS Code re-asks after edits; the model is cached per
 * document version) and follow the engine: while a Dockerfile editor is visible, image events
 * from the engine's event stream (debounced) refresh the local image list and the lenses.
 * Nothing is fetched while no Dockerfile is visible.
 */
import * as vscode from 'vscode';
import type { Services } from '../services';
import { parseDockerfile, type DockerfileModel } from '../core/dockerfile';
import { buildLineage, type ImageRecord, type LineageForest } from '../core/lineage';
import { planFromLenses, statusTitle, type LocalImageView } from '../core/fromlens';
import { ImageCatalog } from '../engine/images';
import { dialectOf, type EngineDialect } from '../core/dialect';
import { EngineEventStream } from '../engine/events';
import { BUILD_COMMAND, isDockerfileDocument, revealImageInTree } from '../commands/build';
import { contributedFromLenses, fromLensContributors } from './fromLensContributions';

export const SHOW_IN_TREE_COMMAND = 'containerLineage.showBaseInTree';
export const GO_TO_STAGE_COMMAND = 'containerLineage.goToStage';
const REFRESH_DEBOUNCE_MS = 300;

/** Documents the lenses apply to. */
export const DOCKERFILE_SELECTOR: vscode.DocumentSelector = [
  { language: 'dockerfile' },
  { pattern: '**/{Dockerfile,Containerfile,Dockerfile.*,Containerfile.*,*.Dockerfile,*.dockerfile,*.Containerfile}' },
];

/** Local images, kept current by engine events while someone needs them. */
class LocalImages implements vscode.Disposable {
  private readonly catalog = new ImageCatalog();
  private readonly events: EngineEventStream;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private images: ImageRecord[] | undefined;
  private forest: LineageForest | undefined;
  private loading: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private watching = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly services: Services) {
    this.events = new EngineEventStream({ docker: () => services.engine.docker(), log: (level, m) => services.log[level](`lenses: ${m}`) });
    const subs = [
      this.events.onEvent((e) => {
        if (e.Type === 'image') this.schedule();
      }),
      this.events.onConnected(() => this.schedule()),
      services.engine.onDidChangeState((s) => {
        this.catalog.clear();
        this.images = undefined;
        this.forest = undefined;
        if (s.kind === 'connected' && this.watching) this.events.start();
        this.changed.fire();
      }),
    ];
    this.disposables.push(...subs.map((s) => new vscode.Disposable(() => s.dispose())));
  }

  /** Start or stop following the engine (only while a Dockerfile is visible). */
  setWatching(on: boolean): void {
    if (on === this.watching) return;
    this.watching = on;
    if (on) {
      if (this.services.engine.state.kind === 'connected') this.events.start();
      this.schedule(0);
    } else {
      this.events.stop();
    }
  }

  private schedule(delay = REFRESH_DEBOUNCE_MS): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.load(true);
    }, delay);
  }

  /** Current images and forest, loading them once when needed; undefined when the engine is unavailable. */
  async get(): Promise<LocalImageView | undefined> {
    if (!this.images) await this.load(false);
    return this.images && this.forest ? { images: this.images, forest: this.forest, names: this.dialect().names } : undefined;
  }

  /** The connected engine's dialect: names in FROM lines resolve as that engine resolves them. */
  private dialect(): EngineDialect {
    const s = this.services.engine.state;
    return dialectOf(s.kind === 'connected' ? s.info.kind : undefined);
  }

  private load(notify: boolean): Promise<void> {
    if (this.loading) return this.loading;
    this.loading = (async () => {
      try {
        const docker = this.services.engine.docker();
        const dialect = this.dialect();
        this.images = await this.catalog.listImages(docker, dialect);
        this.forest = buildLineage(this.images, [], { names: dialect.names });
      } catch {
        this.images = undefined;
        this.forest = undefined;
      } finally {
        this.loading = undefined;
      }
      if (notify) this.changed.fire();
    })();
    return this.loading;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.events.dispose();
    this.changed.dispose();
    for (const d of this.disposables) d.dispose();
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
  const local = new LocalImages(services);
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

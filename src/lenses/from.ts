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
import { describeBase, parseDockerfile, rootStage, type DockerfileModel, type Stage } from '../core/dockerfile';
import { buildLineage, bestTag, type LineageForest } from '../core/lineage';
import { findLocalImage } from '../core/reference';
import type { ImageRecord } from '../core/lineage';
import { ImageCatalog } from '../engine/images';
import { EngineEventStream } from '../engine/events';
import { BUILD_COMMAND, isDockerfileDocument, revealImageInTree } from '../commands/build';

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
  async get(): Promise<{ images: ImageRecord[]; forest: LineageForest } | undefined> {
    if (!this.images) await this.load(false);
    return this.images && this.forest ? { images: this.images, forest: this.forest } : undefined;
  }

  private load(notify: boolean): Promise<void> {
    if (this.loading) return this.loading;
    this.loading = (async () => {
      try {
        const docker = this.services.engine.docker();
        this.images = await this.catalog.listImages(docker);
        this.forest = buildLineage(this.images);
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

/** One lens before it becomes a vscode.CodeLens (pure: testable, and used by the provider). */
export interface FromLensSpec {
  line: number;
  title: string;
  command?: string;
  arguments?: unknown[];
  tooltip?: string;
}

/**
 * The lenses for a model, given the local images (undefined when the engine is unavailable).
 * Per stage: a status lens (base present + children, missing, unresolved, invalid, stage link,
 * scratch), "Show in tree" when the base is a present image, "Build child image" when the stage
 * is a build target and its chain's root base is usable.
 */
export function fromLenses(
  model: DockerfileModel,
  uri: vscode.Uri,
  local: { images: ImageRecord[]; forest: LineageForest } | undefined,
): FromLensSpec[] {
  const out: FromLensSpec[] = [];
  const asSummary = (i: ImageRecord) => ({ Id: i.id, RepoTags: i.repoTags, RepoDigests: i.repoDigests });
  const lookup = (s: Stage): ImageRecord | undefined => {
    if (!local) return undefined;
    const b = s.base;
    const ref = b.kind === 'image' ? b.reference.canonical : b.kind === 'id' ? b.id : undefined;
    if (!ref) return undefined;
    const hit = findLocalImage(local.images.map(asSummary), ref);
    return hit ? local.images.find((i) => i.id === hit.Id) : undefined;
  };
  for (const s of model.stages) {
    const line = s.fromLine;
    const b = s.base;
    let usable = true;
    if (b.kind === 'image' || b.kind === 'id') {
      const label = describeBase(model, s);
      if (!local) {
        out.push({ line, title: `$(debug-disconnect) ${label}: engine not connected`, tooltip: 'Connect to an engine to see whether the base image is present.' });
      } else {
        const img = lookup(s);
        if (img) {
          const n = local.forest.byId.get(img.id)?.children.length ?? 0;
          out.push({
            line,
            title: `$(check) ${label} · present · ${n} child image${n === 1 ? '' : 's'}`,
            tooltip: `${bestTag(img)} = ${img.id}`,
          });
          out.push({ line, title: 'Show in tree', command: SHOW_IN_TREE_COMMAND, arguments: [img.id], tooltip: `Reveal ${bestTag(img)} in the Images view` });
        } else {
          out.push({ line, title: `$(warning) ${label} · not present locally`, tooltip: 'A build would try to pull it from its registry.' });
        }
      }
    } else if (b.kind === 'stage') {
      const target = model.stages[b.stageIndex]!;
      out.push({ line, title: `$(arrow-up) from stage ${target.name ?? target.index + 1} (line ${target.fromLine + 1})`, command: GO_TO_STAGE_COMMAND, arguments: [uri, target.fromLine] });
    } else if (b.kind === 'scratch') {
      out.push({ line, title: '$(circle-slash) scratch: no base image' });
    } else if (b.kind === 'unresolved') {
      usable = false;
      out.push({ line, title: `$(warning) base unresolved: ${b.reason}`, tooltip: `FROM ${s.baseWritten ?? ''}` });
    } else {
      usable = false;
      out.push({ line, title: `$(error) invalid base: ${b.reason}` });
    }
    const root = rootStage(model, s);
    if (s.targetable && usable && root.base.kind !== 'unresolved' && root.base.kind !== 'invalid') {
      const isLast = s.index === model.stages.length - 1;
      out.push({
        line,
        title: `$(play) Build child image${isLast ? '' : ` (stage ${s.name})`}`,
        command: BUILD_COMMAND,
        arguments: [uri, isLast ? {} : { target: s.name }],
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
    return fromLenses(model, doc.uri, local).map((l) => {
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

/**
 * Shared by the build suites (classic builder, BuildKit, Dockerfile boundaries): the engine, a
 * fresh context folder per test, builds that remember what they made, existence checks, and an
 * `after` that removes only what the suite built (tags with its repo, its label, its step images).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { EngineConnection } from '../../src/engine/connection';
import type { EngineInfo } from '../../src/engine/endpointProbe';
import type { TestEngine } from './engines';
import { runBuild, type BuildRequest, type BuildRun } from '../../src/engine/builders';

export const LABEL = 'io.container-lineage.test';

/** One build suite's fixture; call {@link BuildSuite.connect} in `before` and {@link BuildSuite.cleanup} in `after`. */
export class BuildSuite {
  docker!: Docker;
  info!: EngineInfo;
  /** The engine's address when connected to a given engine (`unix:///…/podman.sock`); undefined for the default. */
  host: string | undefined;
  private engine!: EngineConnection;
  readonly suffix = randomBytes(4).toString('hex');
  /** Repository of every tag the suite makes, e.g. "cl-test-buildkit-1a2b3c4d". */
  readonly repo: string;
  readonly labels: Record<string, string>;
  private readonly dirs: string[] = [];
  private readonly containers: string[] = [];
  private readonly stepImages: string[] = [];
  private readonly imageIds: string[] = [];

  constructor(readonly suite: string) {
    this.repo = `cl-test-${suite}-${this.suffix}`;
    this.labels = { [LABEL]: suite };
  }

  /** Connect to the machine's engine, or to `target` (one of test/integration/engines.ts, e.g. the private Podman). */
  async connect(target?: TestEngine): Promise<void> {
    if (target) {
      const c = await target.connect();
      this.engine = c.engine;
      this.host = c.host;
      const state = c.engine.state;
      if (state.kind !== 'connected') throw new Error(`no ${target.label} engine answered`);
      this.docker = c.docker;
      this.info = state.info;
      return;
    }
    this.engine = new EngineConnection({ env: process.env, retry: false, healthIntervalMs: 0 });
    const state = await this.engine.connect();
    if (state.kind !== 'connected') throw new Error(`no engine answered: ${JSON.stringify(state)}`);
    this.docker = this.engine.docker();
    this.info = state.info;
  }

  /** Whether a tag (as the engine lists it: Podman's `docker.io/library/…`, `localhost/…`) is one of the suite's. */
  ownsTag(tag: string): boolean {
    return tag.replace(/^(docker\.io\/library\/|docker\.io\/|localhost\/)/, '').startsWith(this.repo);
  }

  /** A new empty context folder (removed in cleanup). */
  contextDir(): string {
    const d = mkdtempSync(join(tmpdir(), `cl-${this.suite}-`));
    this.dirs.push(d);
    return d;
  }

  /** `${repo}:${name}` */
  tag(name: string): string {
    return `${this.repo}:${name}`;
  }

  /** Build with the suite's labels and no network for RUN, remembering what it made. */
  async build(req: BuildRequest): Promise<BuildRun> {
    const r = await runBuild(this.docker, { labels: this.labels, networkMode: 'none', engine: this.info, ...req });
    this.stepImages.push(...r.stepImages);
    if (r.imageId) this.imageIds.push(r.imageId);
    return r;
  }

  /** Remember what a build made elsewhere (e.g. through buildWithProvenance), for cleanup. */
  remember(r: Pick<BuildRun, 'stepImages' | 'imageId'>): void {
    this.stepImages.push(...r.stepImages);
    if (r.imageId) this.imageIds.push(r.imageId);
  }

  /** A container the suite removes in cleanup. */
  keepContainer(id: string): void {
    this.containers.push(id);
  }

  async tagExists(tag: string): Promise<boolean> {
    try {
      await this.docker.getImage(tag).inspect();
      return true;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return false;
      throw err;
    }
  }

  /** Whether `path` exists in `image` (read through a created, never started container). */
  async pathInImage(image: string, path: string): Promise<boolean> {
    const c = await this.docker.createContainer({ Image: image, Cmd: ['true'], Labels: this.labels });
    this.containers.push(c.id);
    try {
      const archive = (await c.getArchive({ path })) as NodeJS.ReadableStream & { destroy?: () => void };
      archive.destroy?.(); // only existence matters; an unread archive stream keeps its socket open
      return true;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return false;
      throw err;
    } finally {
      await c.remove({ force: true });
    }
  }

  /** The content of a file in an image. */
  async fileInImage(image: string, path: string): Promise<string> {
    const c = await this.docker.createContainer({ Image: image, Cmd: ['true'], Labels: this.labels });
    this.containers.push(c.id);
    try {
      const tar = await c.getArchive({ path });
      const chunks: Buffer[] = [];
      for await (const ch of tar as AsyncIterable<Buffer>) chunks.push(ch);
      const all = Buffer.concat(chunks);
      const size = parseInt(all.subarray(124, 136).toString('latin1').trim(), 8);
      return all.subarray(512, 512 + size).toString('utf8');
    } finally {
      await c.remove({ force: true });
    }
  }

  /** Remove what the suite made: containers, its tags, its labelled untagged images, step images. */
  async cleanup(): Promise<void> {
    if (!this.docker) return;
    const docker = this.docker;
    for (const c of this.containers) await docker.getContainer(c).remove({ force: true }).catch(() => undefined);
    const imgs = await docker.listImages({ filters: JSON.stringify({ label: [`${LABEL}=${this.suite}`] }) });
    for (const i of imgs) for (const t of i.RepoTags ?? []) if (this.ownsTag(t)) await docker.getImage(t).remove().catch(() => undefined);
    for (const i of imgs) {
      if ((i.RepoTags ?? []).every((t) => this.ownsTag(t) || t === '<none>:<none>')) await docker.getImage(i.Id).remove({ force: true }).catch(() => undefined);
    }
    for (const id of this.imageIds) {
      const img = await docker.getImage(id).inspect().catch(() => undefined);
      if (img && (img.RepoTags ?? []).length === 0) await docker.getImage(id).remove().catch(() => undefined);
    }
    // Newest first, never forced: an image still in use (a tag, a child, a container) stays.
    for (const id of [...new Set(this.stepImages)].reverse()) await docker.getImage(id).remove().catch(() => undefined);
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    this.engine.dispose();
  }
}

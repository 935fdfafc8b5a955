/**
 * Which builder runs a build: the setting `containerLineage.build.builder` (`auto`, `buildkit`,
 * `classic`, or any other registered builder's name) against what the engine says about itself.
 *
 * Facts used (Engine API docs, moby `api/server/router/system`, Podman's compat API; checked on
 * Docker Engine 20.10 and Podman 4.3 here):
 * - Docker Engine 18.09 (API 1.39) and later run BuildKit builds on Linux (`POST /build?version=2`);
 *   since Engine 23 `/_ping` also sends `Builder-Version: 2` (earlier engines send it only when
 *   the daemon's `features.buildkit` is set, and 20.10 here sends none). Windows engines build
 *   with the classic builder.
 * - Podman's compat API (recognised by its `Libpod-Api-Version` ping header, see core/dialect)
 *   ignores `version=2` and always builds with Buildah, streaming Buildah's own text in
 *   classic-style JSON messages; so on Podman every setting but `buildkit` runs the Buildah
 *   builder (never BuildKit), and `buildah` is refused on Docker.
 */
import { builderVersion, detectEngineKind, dialectOf, engineTitle, type EngineKind } from './dialect';
import type { BuilderName } from './frontend';
import { majorMinor } from './frontend';

/** The setting's values: `auto` or a builder's name. */
export type BuilderSetting = 'auto' | BuilderName;

/** What the engine said about itself (the connection's identity, or `/_ping` alone). */
export interface EngineFacts {
  /** Which dialect of the API it speaks (core/dialect: Docker, or Podman by its ping headers). */
  kind: EngineKind;
  /** The builder version header of `/_ping` (Docker's `Builder-Version`: "2" when BuildKit is its default). */
  builderVersion?: string;
  /** Server version, e.g. "20.10.24+dfsg1". */
  version?: string;
  /** API version, e.g. "1.41". */
  apiVersion?: string;
  /** Engine OS, e.g. "linux". */
  os?: string;
}

/**
 * Facts from `/_ping` response headers alone (names in lower case), when no `/version` identity
 * is at hand: the dialect by its headers, the builder header, `Api-Version`, `Ostype`.
 */
export function factsFromPing(headers: Readonly<Record<string, string>>): EngineFacts {
  const kind = detectEngineKind({ pingHeaders: headers });
  return { kind, builderVersion: builderVersion(kind, headers), apiVersion: headers['api-version'], os: headers['ostype'] };
}

/** The outcome of {@link chooseBuilder}. */
export type BuilderChoice =
  | { ok: true; builder: BuilderName; reason: string }
  | { ok: false; message: string };

function apiAtLeast(api: string | undefined, major: number, minor: number): boolean {
  const v = majorMinor(api);
  return v !== undefined && (v[0] > major || (v[0] === major && v[1] >= minor));
}

/**
 * Choose the builder.
 * @param setting the `containerLineage.build.builder` value (unknown values are treated as `auto`).
 * @param facts what the engine said about itself.
 * @param available builders that are implemented and registered (e.g. ["classic", "buildkit"]).
 * @returns the builder with a one-line reason (shown in the output and the notification), or a
 *   message that says what to change when the requested builder cannot run on this engine.
 */
export function chooseBuilder(setting: string, facts: EngineFacts, available: readonly BuilderName[]): BuilderChoice {
  const has = (b: BuilderName) => available.includes(b);
  const engine = facts.version ? engineTitle(facts.kind, facts.version) : 'the engine';
  if (dialectOf(facts.kind).builder === 'buildah') {
    if (setting === 'buildkit') {
      return { ok: false, message: `${engine}'s Docker-compatible API builds with Buildah and ignores BuildKit requests. Set containerLineage.build.builder to auto (or use a Docker engine for BuildKit).` };
    }
    // The classic request is answered by Buildah too, in Buildah's stream: the Buildah builder reads it.
    if (has('buildah')) {
      const why = setting === 'classic' ? `classic builder requested; ${engine} builds with Buildah` : setting === 'buildah' ? 'Buildah requested (containerLineage.build.builder)' : `Buildah: ${engine} builds with it`;
      return { ok: true, builder: 'buildah', reason: why };
    }
    if (setting === 'classic') return { ok: true, builder: 'classic', reason: `classic builder requested (Podman runs it with Buildah)` };
    return { ok: true, builder: 'classic', reason: `classic request: ${engine}'s compat /build runs it with Buildah` };
  }
  if (setting === 'buildah') {
    return { ok: false, message: `${engine} has no Buildah: Buildah builds run on Podman. Set containerLineage.build.builder to auto, buildkit or classic, or connect to Podman.` };
  }
  const windows = /windows/i.test(facts.os ?? '');
  const buildkitCapable = !windows && (facts.builderVersion === '2' || apiAtLeast(facts.apiVersion, 1, 39));
  if (setting === 'classic') return { ok: true, builder: 'classic', reason: 'classic builder requested (containerLineage.build.builder)' };
  if (setting === 'buildkit') {
    if (!buildkitCapable) {
      return { ok: false, message: `${engine} cannot run BuildKit builds (they need Docker Engine 18.09 or later on Linux). Set containerLineage.build.builder to auto or classic.` };
    }
    return { ok: true, builder: 'buildkit', reason: 'BuildKit requested (containerLineage.build.builder)' };
  }
  if (has('buildkit') && buildkitCapable) {
    const why = facts.builderVersion === '2' ? '/_ping says Builder-Version: 2' : `API ${facts.apiVersion} has BuildKit (Docker Engine 18.09+)`;
    return { ok: true, builder: 'buildkit', reason: `BuildKit: ${engine}, ${why}` };
  }
  return { ok: true, builder: 'classic', reason: windows ? `classic builder: ${engine} runs on Windows` : `classic builder: ${engine} has no BuildKit` };
}

/** How a builder is named to the user ("BuildKit", "classic builder", "Buildah"). */
export function builderLabel(builder: BuilderName): string {
  return builder === 'buildkit' ? 'BuildKit' : builder === 'buildah' ? 'Buildah' : 'classic builder';
}
